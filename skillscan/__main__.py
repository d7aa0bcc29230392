"""`python -m skillscan`."""

import os
import sys

# `python -m` puts the working directory first on sys.path; run inside a scanned skill, its
# `typer.py` or `yaml.py` would be imported instead of the real ones. Scanned content is never
# imported: drop that entry before anything else is (skillscan itself is already found).
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from skillscan.cli import main  # noqa: E402 - after the sys.path repair above

if __name__ == "__main__":  # worker processes (spawned) import this module again: run nothing then
    main()

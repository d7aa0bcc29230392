"""A private temporary folder of artifact copies, for tools that read real files (bandit, semgrep).

Every artifact — a real file or a virtual code fence — is written under a numbered name with the
suffix its language needs, so nothing from a scanned skill names a path, files without an
extension are still scanned, and the tool sees exactly the text skillscan parsed. Results map back
through `lookup`; line numbers are the artifact's own, and build maps fences into their Markdown.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Self

from skillscan.model import Artifact, Skill

_SUFFIXES = {"python": ".py", "javascript": ".js", "typescript": ".ts", "shell": ".sh", "powershell": ".ps1"}
_KEEP = frozenset({".jsx", ".mjs", ".cjs", ".tsx", ".mts", ".cts"})


@dataclass(frozen=True)
class Staged:
    skill: Skill
    artifact: Artifact


class StagingDir:
    def __init__(self, prefix: str) -> None:
        self._temp = tempfile.TemporaryDirectory(prefix=prefix)  # mkdtemp: mode 0700, ours alone
        self.root = Path(self._temp.name)
        self.targets = self.root / "targets"
        self.targets.mkdir()
        self._files: dict[str, Staged] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._temp.cleanup()

    def __len__(self) -> int:
        return len(self._files)

    def add(self, skill: Skill, artifact: Artifact) -> Path:
        suffix = PurePosixPath(str(artifact.path)).suffix.lower()
        if suffix not in _KEEP:
            suffix = _SUFFIXES.get(artifact.language or "", ".txt")
        path = self.targets / f"{len(self._files):06d}{suffix}"
        path.write_text(artifact.text, encoding="utf-8", errors="surrogatepass")
        self._files[os.path.realpath(path)] = Staged(skill, artifact)
        return path

    def lookup(self, path: str) -> Staged | None:
        return self._files.get(os.path.realpath(path if os.path.isabs(path) else self.root / path))

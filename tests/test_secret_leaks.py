"""No secret from the fixtures appears in any output (issue 7, point 6).

fixtures/secrets holds two skills and a machine's agent configs with random, format-valid
secrets of many kinds, in every place a secret turns up: SKILL.md prose, frontmatter, code
fences, Python and shell scripts, .env, a PEM file, a zip member, bundled and installed MCP
configs (JSON, JSONC, TOML), hooks, base64 and hex blobs the decoders unwrap, shell line
continuations, and lines long enough that the 200-character snippet cuts the secret. Every value
is listed in fixtures/secrets/manifest.yaml; entries marked `gap` (not found) or `leak` (shown)
are known problems, expected to fail until fixed (strict xfail).

The real CLI runs in subprocesses (the cold and the warm result cache, --stats, every report
format, the suppressed-findings views, `baseline create`, `lock`, `verify`, `discover`), with a
private HOME, data dir, cache dirs and TMPDIR. Then:

- each secret is found, by the expected rule, at the expected file, with masked evidence
  (so this cannot pass by finding nothing);
- no secret leaks: not the value, not its last 8 characters, not any 12 characters of it, and not
  its base64 or hex encoding, in stdout, stderr, any report, or any file left under HOME, the
  data dir, the cache dirs or TMPDIR. Exempt are only the fixture copies themselves and the
  content-addressed store `lock` keeps (verbatim copies of approved skills, by design, so
  `restore` can put them back).

The masker keeps the first four characters (skillscan.secrets.VISIBLE_PREFIX); 12-character
windows are far longer than that and far too long to occur by chance in random values.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from skillscan.secrets import VISIBLE_PREFIX

from .conftest import FIXTURES, REPO

ROOT = FIXTURES / "secrets"
SKILLS = ROOT / "skills"
MANIFEST: list[dict[str, Any]] = yaml.safe_load((ROOT / "manifest.yaml").read_text(encoding="utf-8"))["secrets"]
FORMATS = ("table", "json", "sarif", "markdown", "html")
WINDOW = 12  # characters of a secret that must never appear together
TAIL = 8  # the last characters of a secret, never shown
_BOX = re.compile(r"[\s\u2500-\u257f]+")  # whitespace and rich's box drawing: a wrapped secret rejoined


# ---------------------------------------------------------------- running the CLI once


@dataclass
class Outputs:
    base: Path
    texts: dict[str, str] = field(default_factory=dict)  # what every command printed or wrote
    codes: dict[str, int] = field(default_factory=dict)
    exempt: list[Path] = field(default_factory=list)  # files that hold the secrets on purpose

    def report(self, name: str) -> dict[str, Any]:
        return json.loads(self.texts[name])

    def files(self) -> Iterator[tuple[str, str]]:
        """Every file the runs left behind (reports, caches, lockfile, logs, temporaries)."""
        for path in sorted(self.base.rglob("*")):
            if path.is_file() and not path.is_symlink() and not any(path == e or e in path.parents for e in self.exempt):
                yield str(path.relative_to(self.base)), path.read_bytes().decode("utf-8", "replace")


def _run(out: Outputs, name: str, args: list[str], cwd: Path, env: dict[str, str]) -> None:
    """Run the CLI in a subprocess; keep its stdout, stderr, exit code and the report it wrote."""
    done = subprocess.run([sys.executable, "-m", "skillscan", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", errors="replace", timeout=900, check=False)
    out.codes[name] = done.returncode
    out.texts[f"{name} (stdout)"] = done.stdout
    out.texts[f"{name} (stderr)"] = done.stderr
    if "-o" in args:
        written = Path(args[args.index("-o") + 1])
        out.texts[name] = written.read_text(encoding="utf-8") if written.is_file() else ""
    else:
        out.texts[name] = done.stdout


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    base = tmp_path_factory.mktemp("leaks")
    home, project, reports = base / "home", base / "project", base / "reports"
    shutil.copytree(ROOT / "home", home)
    shutil.copytree(ROOT / "project", project)
    shutil.copytree(SKILLS, home / ".claude" / "skills")  # the same skills, installed
    for folder in ("data", "xdg-cache", "xdg-config", "cache", "tmp", "reports"):
        (base / folder).mkdir()
    config = base / "xdg-config" / "empty.skillscan.toml"
    config.write_text('fail-on = "high"\n')
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SKILLSCAN_", "XDG_"))}
    env.update(HOME=str(home), XDG_DATA_HOME=str(base / "data"), XDG_CACHE_HOME=str(base / "xdg-cache"),
               XDG_CONFIG_HOME=str(base / "xdg-config"), TMPDIR=str(base / "tmp"), SKILLSCAN_CONFIG=str(config),
               NO_COLOR="1", COLUMNS="100", PYTHONDONTWRITEBYTECODE="1")
    out = Outputs(base, exempt=[home / ".claude" / "skills", home / ".claude.json", home / ".claude" / "settings.json",
                                home / ".codex" / "config.toml", project / ".vscode" / "mcp.json",
                                base / "data" / "skillscan" / "store"])

    def run(name: str, *args: str, cache: str, cwd: Path = base) -> tuple[str, list[str], Path, dict[str, str]]:
        return name, list(args), cwd, {**env, "SKILLSCAN_CACHE_DIR": str(base / "cache" / cache)}

    skills = str(SKILLS)
    chains = [  # each chain runs in order (cold then warm cache …); chains run side by side
        [run(f"scan {fmt} {phase}", "scan", skills, "--format", fmt, "-o", str(reports / f"scan-{phase}.{fmt}"),
             cache=fmt) for phase in ("cold", "warm")]  # the fixture folder named on the command line
        for fmt in FORMATS
    ]
    chains.append([run("scan table stdout", "scan", skills, cache="misc"),
                   run("scan json --stats", "scan", skills, "--format", "json", "--stats", cache="misc"),
                   run("scan json --no-cache", "scan", skills, "--format", "json", "--no-cache", cache="none")])
    chains.append([run("baseline create", "baseline", "create", skills, "-o", str(reports / "baseline.json"),
                       cache="baseline"),
                   *(run(f"scan {fmt} baselined", "scan", skills, "--baseline", str(reports / "baseline.json"),
                         "--format", fmt, "-o", str(reports / f"baselined.{fmt}"), cache="baseline")
                     for fmt in FORMATS)])  # every finding suppressed: the folded-away views render too
    chains.append([*(run(f"installed {fmt}", "scan", "--format", fmt, "-o", str(reports / f"installed.{fmt}"),
                         cache="installed", cwd=project) for fmt in FORMATS),  # no paths: installed skills + configs
                   run("installed json warm", "scan", "--format", "json", "-o", str(reports / "installed-warm.json"),
                       cache="installed", cwd=project),
                   run("lock", "lock", cache="installed", cwd=project),
                   run("verify", "verify", cache="installed", cwd=project),
                   run("discover json", "discover", "--format", "json", cache="installed", cwd=project),
                   run("discover table", "discover", cache="installed", cwd=project),
                   run("discover skills json", "discover", skills, "--format", "json", cache="installed", cwd=project)])
    with ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as pool:
        for done in [pool.submit(lambda chain=chain: [_run(out, *step) for step in chain]) for chain in chains]:
            done.result()
    return out


# ---------------------------------------------------------------- what must never appear


def _private(entry: dict[str, Any]) -> list[str]:
    """The never-shown part of a secret, one string per line (a PEM body has many)."""
    private = entry.get("private") or str(entry["value"]).removeprefix(entry.get("public", ""))
    return [line.strip() for line in str(private).splitlines() if line.strip()]


def _encodings(secret: str) -> list[str]:
    """base64 (at each of the three byte alignments; standard and URL-safe) and hex forms of
    `secret` that a blob containing it must contain."""
    raw = secret.encode()
    forms = [raw.hex(), raw.hex().upper()]
    for align in range(3):
        encoded = base64.b64encode(b"\0" * align + raw).decode()
        core = encoded[4 : 4 * ((align + len(raw)) // 3)]  # groups made of the secret's bytes only
        if len(core) >= WINDOW:
            forms += [core, core.replace("+", "-").replace("/", "_")]
    return forms


def forbidden(entry: dict[str, Any]) -> set[str]:
    forms: set[str] = set()
    for part in _private(entry):
        forms.add(part[-TAIL:] if len(part) > VISIBLE_PREFIX * 2 else part)
        pieces = [part, *_encodings(part)] if len(part) >= WINDOW else [part]
        for piece in pieces:
            forms.update(piece[i : i + WINDOW] for i in range(max(1, len(piece) - WINDOW + 1)))
    return forms


def _views(name: str, text: str) -> list[str]:
    """The text as written; HTML unescaped (html reports); with whitespace and box drawing
    removed (a rich table folds a long cell over several lines)."""
    views = [text]
    if "html" in name and "&" in text:
        views.append(html.unescape(text))
    if "table" in name:
        views += [_BOX.sub("", view) for view in views]
    return views


def leaks(text: str, forms: set[str], name: str = "table html") -> set[str]:
    """Which `forms` occur in `text` (in any of its views)."""
    found: set[str] = set()
    for length in {len(form) for form in forms}:
        for view in _views(name, text):
            found |= forms.intersection(map(view.__getitem__, map(slice, range(len(view)), range(length, len(view) + length))))
    return found


@pytest.fixture(scope="module")
def leaked(outputs: Outputs) -> dict[str, dict[str, list[str]]]:
    """Secret id → {where it leaked: the forbidden forms found there}, one pass over everything."""
    owners: dict[str, set[str]] = {}
    for entry in MANIFEST:
        for form in forbidden(entry):
            owners.setdefault(form, set()).add(entry["id"])
    sources = [(name, text) for name, text in outputs.texts.items() if name.endswith(("(stdout)", "(stderr)"))]
    sources += list(outputs.files())  # the reports themselves, caches, lockfile, logs, temporaries
    seen: dict[tuple[bool, bool, int], set[str]] = {}
    result: dict[str, dict[str, list[str]]] = {entry["id"]: {} for entry in MANIFEST}
    for name, text in sources:
        key = ("html" in name, "table" in name, hash(text))  # identical files (8 pack caches …) once
        if key not in seen:
            seen[key] = leaks(text, set(owners), name)
        for form in seen[key]:
            for owner in owners[form]:
                result[owner].setdefault(name, []).append(form)
    return result


def _param(entry: dict[str, Any], reason_key: str) -> Any:
    marks = [pytest.mark.xfail(reason=entry[reason_key], strict=True)] if entry.get(reason_key) else []
    return pytest.param(entry, id=entry["id"], marks=marks)


# ---------------------------------------------------------------- the tests


def test_every_command_ran(outputs: Outputs) -> None:
    for name, code in outputs.codes.items():
        expected = {"scan": 1, "installed": 1}.get(name.split()[0], 0)
        if "baselined" in name:
            expected = 0
        assert code == expected, (name, outputs.texts[f"{name} (stderr)"][-2000:])
    assert "engine timings" in outputs.texts["scan json --stats (stderr)"]
    for fmt in FORMATS:
        assert outputs.texts[f"scan {fmt} cold"].strip() and outputs.texts[f"installed {fmt}"].strip()
    assert any(path.startswith("data/") and path.endswith("skills.lock.json") for path, _ in outputs.files())
    assert list((outputs.base / "cache" / "json").iterdir()), "the warm path needs a cache to read"
    assert not list((outputs.base / "cache" / "none").glob("results-*")), "--no-cache writes no results"


def test_warm_cache_gives_the_same_findings(outputs: Outputs) -> None:
    def findings(name: str) -> list[tuple[str, ...]]:
        return sorted((f["rule_id"], f["relative_path"], str(f["line"]), f["message"], f["snippet"], f["fingerprint"])
                      for f in outputs.report(name)["findings"])

    assert findings("scan json cold") == findings("scan json warm") == findings("scan json --no-cache")
    assert findings("installed json") == findings("installed json warm")


@pytest.mark.parametrize("entry", [_param(e, "gap") for e in MANIFEST])
def test_secret_is_found_and_masked(outputs: Outputs, entry: dict[str, Any]) -> None:
    reports = {"installed json": entry["skill"] if entry["scope"] == "skills" else f"agent config in {entry['skill']}"}
    if entry["scope"] == "skills":
        reports["scan json cold"] = entry["skill"]
    shown = entry.get("shown", str(entry["value"])[:VISIBLE_PREFIX] + "…")
    for report, skill in reports.items():
        hits = [f for f in outputs.report(report)["findings"]
                if f["rule_id"] in entry["rules"] and f["skill"] == skill and f["relative_path"] == entry["path"]]
        assert hits, f"{report}: no {'/'.join(entry['rules'])} finding in {skill}/{entry['path']}"
        if not entry.get("leak"):
            assert any(shown in f["message"] for f in hits), [f["message"] for f in hits]


@pytest.mark.parametrize("entry", [_param(e, "leak") for e in MANIFEST])
def test_secret_never_appears_in_any_output(leaked: dict[str, dict[str, list[str]]], entry: dict[str, Any]) -> None:
    assert not leaked[entry["id"]], {where: sorted(forms)[:3] for where, forms in leaked[entry["id"]].items()}


def test_fingerprints_do_not_confirm_a_guessed_secret(outputs: Outputs) -> None:
    """Fingerprints go into baselines (committed), SARIF (uploaded) and the lockfile; for a weak
    password (a URL password needs only 3 characters) a dictionary attack on them recovers it."""
    entry = next(e for e in MANIFEST if e["id"] == "postgres-url-dotenv")
    material = "\0".join(("SKS-SEC-022", entry["path"], entry["value"], "1"))
    guess = "sks1:" + hashlib.sha256(material.encode()).hexdigest()[:40]
    assert guess not in outputs.texts["baseline create"]


def test_the_checks_see_a_leak() -> None:
    """The window, tail, wrap and encoding checks catch what a careless reporter would print."""
    entry = next(e for e in MANIFEST if e["id"] == "stripe-python")
    secret, (private,) = entry["value"], _private(entry)
    forms = forbidden(entry)
    assert leaks(f"evidence: {secret}", forms)
    assert leaks(f"…{secret[-TAIL:]}", forms)
    assert leaks(f"cut: {entry['public']}{private[:WINDOW]}…", forms)
    assert leaks("│ " + secret[:30] + " │\n│ " + secret[30:60] + " │", forms)  # folded by a table
    assert leaks(html.escape(secret + "&"), forms)
    assert leaks(base64.b64encode(b"KEY=" + secret.encode()).decode(), forms)
    assert leaks(secret.encode().hex(), forms)
    assert not leaks(f"A Stripe live key ({secret[:VISIBLE_PREFIX]}…) is written into the skill", forms)


def test_fixtures_stay_out_of_other_tests() -> None:
    """The repository's config excludes fixtures/**; rule fixtures and the evals corpus live elsewhere."""
    from skillscan import config

    repo = config.load(REPO / "pyproject.toml")
    assert repo.excludes(SKILLS / "release-helper") and repo.excludes(SKILLS / "mcp-bridge" / ".mcp.json")
    assert "fixtures/corpus" in (REPO / "evals" / "run.py").read_text() and not (FIXTURES / "rules" / "secrets").exists()
    planted = {str(e["value"]) for e in MANIFEST}
    assert len(planted) == len(MANIFEST), "every secret is distinct"
    for entry in MANIFEST:
        folder = {"~/": "home", "~/.claude": "home/.claude", "~/.codex": "home/.codex", "./.vscode": "project/.vscode"}
        holder = SKILLS / entry["skill"] if entry["scope"] == "skills" else ROOT / folder[entry["skill"]]
        archive, _, member = entry["path"].partition("!")
        if member:
            with zipfile.ZipFile(holder / archive) as bundle:
                text = bundle.read(member).decode()
        else:
            text = (holder / entry["path"]).read_text(encoding="utf-8")
        if not any(encoded in entry["id"] for encoded in ("base64", "hex")):
            assert str(entry["value"]) in text.replace("\\\n", ""), entry["id"]  # as the shell reads it

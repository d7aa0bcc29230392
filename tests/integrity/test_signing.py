"""Lockfile signatures (an edited signed lockfile is refused) and skill signatures."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ..helpers import run_cli
from .conftest import Env, make_skill

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen is not installed")


def _key(folder: Path, name: str) -> Path:
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True)
    return key


@pytest.fixture
def signed(env: Env, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Path:
    make_skill(env.skills, "alpha")
    key = _key(tmp_path, "owner")
    done = run_cli(capsys, "lock", "--no-scan", "--sign-key", str(key))
    assert done.code == 0, done.err
    assert "(signed)" in done.out
    return key


def test_signed_lockfile_verifies(signed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "verify").code == 0


def test_edited_signed_lockfile_is_refused(env: Env, signed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(env.lockfile.read_text())
    data["skills"][0]["files"][1]["sha256"] = "0" * 64  # an attacker approving their payload
    env.lockfile.write_text(json.dumps(data, indent=1))
    done = run_cli(capsys, "verify")
    assert done.code == 2
    assert "signature does not verify" in done.err


def test_resigned_or_unsigned_lockfile_is_refused(env: Env, signed: Path, capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    attacker = _key(tmp_path, "attacker")
    text = env.lockfile.read_bytes().replace(b'"name": "alpha"', b'"name": "alpha2"')
    env.lockfile.write_bytes(text)
    sig = subprocess.run(["ssh-keygen", "-Y", "sign", "-q", "-f", str(attacker), "-n", "skillscan-lockfile"],
                         input=text, capture_output=True, check=True).stdout
    Path(str(env.lockfile) + ".sig").write_bytes(sig)
    assert run_cli(capsys, "verify").code == 2
    Path(str(env.lockfile) + ".sig").unlink()
    done = run_cli(capsys, "verify")
    assert done.code == 2 and "missing" in done.err


def test_approve_resigns(env: Env, signed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (env.skills / "alpha" / "references" / "c.md").write_text("new\n")
    assert run_cli(capsys, "approve", "alpha", "--yes", "--no-scan").code == 0  # uses the recorded key
    assert run_cli(capsys, "verify").code == 0


def test_skill_signatures(env: Env, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from skillscan.integrity import manifest, signing
    from skillscan.integrity.records import read_meta

    publisher = _key(tmp_path, "publisher")
    signed_root = make_skill(env.skills, "signed")
    make_skill(env.skills, "plain")
    meta = read_meta(signed_root)
    tree = manifest.walk(signed_root)
    signing.sign_skill(signed_root, publisher, signing.skill_manifest(meta.name, meta.version, meta.source_url,
                                                                      tree.entries.values()))
    signers = tmp_path / "publishers"
    signers.write_text(f'acme namespaces="skillscan-skill" {Path(str(publisher) + ".pub").read_text()}')
    assert run_cli(capsys, "lock", "--no-scan", "--skill-signers", str(signers)).code == 0
    records = {s["name"]: s for s in json.loads(env.lockfile.read_text())["skills"]}
    assert records["signed"]["signature"] == "valid"
    assert records["plain"]["signature"] == "unsigned"
    done = run_cli(capsys, "verify", "--format", "json", "--skill-signers", str(signers))
    report = json.loads(done.out)
    assert done.code == 0 and report["summary"]["unsigned_skills"] == 1  # unsigned: info only
    (signed_root / "references" / "a.md").write_text("tampered\n")
    done = run_cli(capsys, "verify", "--format", "json", "--skill-signers", str(signers))
    invalid = [d for d in json.loads(done.out)["drift"] if d["kind"] == "signature-invalid"]
    assert done.code == 1 and invalid and invalid[0]["severity"] == "critical"


def test_signed_lockfile_is_verified_by_content(env: Env, signed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A same-user attacker can rewrite the (unsigned) stat cache; with a signed lockfile it is not used."""
    done = run_cli(capsys, "verify", "--format", "json")
    assert json.loads(done.out)["summary"]["files_hashed"] == 4
    done = run_cli(capsys, "verify", "--format", "json", "--trust-cache")
    assert done.code == 0

"""SSH signatures through `ssh-keygen -Y` (OpenSSH ≥ 8.2), with dedicated namespaces so a
signature made for git or anything else cannot be replayed here.

Lockfile: `<lockfile>.sig`, trusted keys in an allowed_signers file (`--allowed-signers`, else
`<lockfile>.allowed_signers`, written on first signing). When a signature or an allowed_signers
file exists, verify refuses a lockfile whose signature fails. Keep the allowed_signers file
where skills cannot write it (e.g. root-owned) for protection against a same-user attacker.

Skills: a detached SSH signature `skillscan.sig` (or `SIGNATURE`) over the canonical manifest:
name, version, source and one line per file (sha256, 644/755, path). Outcomes: unsigned (info),
valid (trusted key), untrusted (valid, unknown key: medium), invalid (critical).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from typing import TYPE_CHECKING
from collections.abc import Iterable
from pathlib import Path

from skillscan.integrity.lockfile import LockfileError, write_private
from skillscan.integrity.manifest import Entry, read_regular

if TYPE_CHECKING:
    import subprocess

LOCK_NAMESPACE = "skillscan-lockfile"
SKILL_NAMESPACE = "skillscan-skill"
LOCK_PRINCIPAL = "skillscan-lockfile"
SKILL_SIGNATURE_FILES = ("skillscan.sig", "SIGNATURE")
_ARMOR = b"-----BEGIN SSH SIGNATURE-----"
_TIMEOUT = 30


class SigningError(LockfileError):
    pass


def available() -> bool:
    return shutil.which("ssh-keygen") is not None


def _run(args: list[str], data: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    import subprocess  # lazily: only signed lockfiles and skills need it

    if not available():
        raise SigningError("ssh-keygen is not installed; it is needed for signatures")
    try:
        return subprocess.run(["ssh-keygen", *args], input=data, capture_output=True, timeout=_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SigningError(f"ssh-keygen failed: {error}") from None


def sign_bytes(data: bytes, key: Path, namespace: str) -> bytes:
    """Signature of `data` (read from stdin, written to stdout by ssh-keygen)."""
    done = _run(["-Y", "sign", "-q", "-f", str(key), "-n", namespace], data)
    if done.returncode != 0 or _ARMOR not in done.stdout:
        raise SigningError(f"ssh-keygen -Y sign with {key} failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def public_key(key: Path) -> str:
    pub = key if key.suffix == ".pub" else key.with_name(key.name + ".pub")
    if pub.is_file():
        return pub.read_text(encoding="utf-8").strip()
    done = _run(["-y", "-f", str(key)])
    if done.returncode != 0:
        raise SigningError(f"cannot read the public key of {key}")
    return done.stdout.decode().strip()


def verify_bytes(data: bytes, signature: bytes, namespace: str, allowed_signers: Path) -> str | None:
    """The principal whose trusted key made `signature` over `data`, or None."""
    with tempfile.TemporaryDirectory(prefix="skillscan-sig-") as folder:
        sig = Path(folder) / "data.sig"
        sig.write_bytes(signature)
        found = _run(["-Y", "find-principals", "-s", str(sig), "-f", str(allowed_signers)])
        for principal in found.stdout.decode(errors="replace").split():
            done = _run(["-Y", "verify", "-f", str(allowed_signers), "-I", principal, "-n", namespace,
                         "-s", str(sig)], data)
            if done.returncode == 0:
                return principal
    return None


def valid_any_key(data: bytes, signature: bytes, namespace: str) -> bool:
    """Is the signature mathematically valid for the key embedded in it (trust not checked)?"""
    with tempfile.TemporaryDirectory(prefix="skillscan-sig-") as folder:
        sig = Path(folder) / "data.sig"
        sig.write_bytes(signature)
        return _run(["-Y", "check-novalidate", "-n", namespace, "-s", str(sig)], data).returncode == 0


# --- lockfile ------------------------------------------------------------------------------------

def signature_path(lockfile: Path) -> Path:
    return lockfile.with_name(lockfile.name + ".sig")


def signers_path(lockfile: Path, allowed_signers: Path | None) -> Path:
    return allowed_signers or lockfile.with_name(lockfile.name + ".allowed_signers")


def sign_lockfile(lockfile: Path, data: bytes, key: Path, allowed_signers: Path | None) -> Path:
    signers = signers_path(lockfile, allowed_signers)
    if not signers.exists():
        entry = f'{LOCK_PRINCIPAL} namespaces="{LOCK_NAMESPACE}" {public_key(key)}\n'
        write_private(signers, entry.encode())
    sig = signature_path(lockfile)
    write_private(sig, sign_bytes(data, key, LOCK_NAMESPACE))
    if verify_bytes(data, sig.read_bytes(), LOCK_NAMESPACE, signers) is None:
        raise SigningError(f"{key} is not a trusted key in {signers}; the lockfile signature would not verify")
    return sig


def check_lockfile(lockfile: Path, data: bytes, allowed_signers: Path | None, required: bool = False) -> str:
    """'unsigned' or the signer; raises when a signature is expected and does not verify."""
    sig = signature_path(lockfile)
    signers = signers_path(lockfile, allowed_signers)
    if not sig.exists() and not signers.exists() and not required:
        return "unsigned"
    if not sig.exists():
        raise SigningError(f"{lockfile}: signature {sig.name} is missing but signing is set up ({signers}); "
                           "refusing an unsigned lockfile")
    if not signers.exists():
        raise SigningError(f"{lockfile}: no allowed_signers file at {signers} to check {sig.name}")
    principal = verify_bytes(data, sig.read_bytes(), LOCK_NAMESPACE, signers)
    if principal is None:
        raise SigningError(f"{lockfile}: signature does not verify against {signers}; the lockfile was "
                           "edited or re-signed with an unknown key — refusing it")
    return principal


# --- skills --------------------------------------------------------------------------------------

def skill_manifest(name: str, version: str, source: str, entries: Iterable[Entry]) -> bytes:
    """What a skill signature covers. Modes are reduced to 644/755 so umask differences between
    the publisher's and the user's machine do not break it; folders are implied by the paths."""
    lines = ["skillscan-skill-manifest 1", f"name {json.dumps(name)}", f"version {json.dumps(version)}",
             f"source {json.dumps(source)}"]
    body = []
    for entry in entries:
        if entry.path in SKILL_SIGNATURE_FILES or entry.type == "dir":
            continue
        quoted = json.dumps(entry.path, ensure_ascii=False)
        if entry.type == "file":
            body.append(f"{entry.sha256} {'755' if entry.mode & 0o100 else '644'} {quoted}")
        else:
            body.append(f"{entry.type} {json.dumps(entry.target, ensure_ascii=False)} {quoted}")
    return ("\n".join(lines + sorted(body)) + "\n").encode("utf-8", "surrogateescape")


def skill_signature_file(entries: dict[str, Entry]) -> str | None:
    for name in SKILL_SIGNATURE_FILES:
        entry = entries.get(name)
        if entry is not None and entry.type == "file":
            return name
    return None


def check_skill(root: Path, entries: dict[str, Entry], manifest: bytes, signers: Path | None) -> str:
    name = skill_signature_file(entries)
    if name is None:
        return "unsigned"
    signature = read_regular(root / name, 65536)
    if signature is None:
        return "invalid"
    if _ARMOR not in signature:
        return "unsupported"  # another signature format; not claimed as valid or invalid
    if not available():
        return "unverified"
    if not valid_any_key(manifest, signature, SKILL_NAMESPACE):
        return "invalid"
    if signers is not None and signers.is_file() and verify_bytes(manifest, signature, SKILL_NAMESPACE, signers):
        return "valid"
    return "untrusted"


def sign_skill(root: Path, key: Path, manifest: bytes) -> Path:
    """For publishers (and tests): write `skillscan.sig` over the skill's canonical manifest."""
    target = root / SKILL_SIGNATURE_FILES[0]
    target.write_bytes(sign_bytes(manifest, key, SKILL_NAMESPACE))
    return target

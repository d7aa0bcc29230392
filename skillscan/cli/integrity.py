"""`skillscan lock|verify|approve|watch|restore|quarantine`: integrity over time."""

from __future__ import annotations

import enum
from pathlib import Path

import typer

from skillscan.cli.options import NO_COLOR, OUTPUT, RULES_DIRS, use_color, write_output

LOCKFILE = typer.Option(None, "--lockfile", help="Lockfile to use (default: skills.lock.json in the user data dir).")
SIGN_KEY = typer.Option(None, "--sign-key", help="SSH private key: sign the lockfile with `ssh-keygen -Y sign`.")
ALLOWED_SIGNERS = typer.Option(None, "--allowed-signers", help="allowed_signers file trusted for the lockfile "
                               "signature (default: <lockfile>.allowed_signers).")
SKILL_SIGNERS = typer.Option(None, "--skill-signers", help="allowed_signers file of trusted skill publishers.")
NO_SCAN = typer.Option(False, "--no-scan", help="Do not scan; record no findings summary.")

LOCK_EPILOG = """Examples:

  skillscan lock                          # every installed skill and agent config

  skillscan lock ./skills --lockfile team.lock.json --sign-key ~/.ssh/id_ed25519
"""
VERIFY_EPILOG = """Exit codes: 0 no drift, 1 drift, 2 missing/corrupt/untrusted lockfile or usage error.

Examples:

  skillscan verify

  skillscan verify --rescan --format sarif -o drift.sarif
"""


class VerifyFormat(enum.StrEnum):
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"


def _options(lockfile: Path | None, paths: list[Path] | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
    from skillscan.integrity.paths import default_lockfile
    from skillscan.integrity.session import Options

    lockfile = (lockfile or default_lockfile()).expanduser()
    return Options(lockfile=lockfile, paths=tuple(paths or ()), **kwargs)  # type: ignore[arg-type]


def lock_command(
    paths: list[Path] = typer.Argument(None, help="Skill folders or folders of skills. None: everything installed."),
    lockfile: Path | None = LOCKFILE,
    sign_key: Path | None = SIGN_KEY,
    allowed_signers: Path | None = ALLOWED_SIGNERS,
    skill_signers: Path | None = SKILL_SIGNERS,
    no_scan: bool = NO_SCAN,
    rules_dirs: list[Path] = RULES_DIRS,
) -> None:
    """Approve the current state: record every skill's files, source and findings, and the agents' MCP/hook settings."""
    from skillscan.integrity import actions
    from skillscan.integrity.report import safe_text

    options = _options(lockfile, paths, allowed_signers=allowed_signers, skill_signers=skill_signers,
                       scan=not no_scan, rule_dirs=tuple(rules_dirs))
    report = actions.lock(options, sign_key)
    for problem in report.problems:
        typer.echo(f"warning: {problem}", err=True)
    for record in report.locked:
        if record.signature in ("invalid", "untrusted"):
            typer.echo(f"{'CRITICAL' if record.signature == 'invalid' else 'warning'}: {safe_text(record.name)}: "
                       f"skill signature is {record.signature}", err=True)
    files = sum(len(r.files) for r in report.locked)
    typer.echo(f"locked {len(report.locked)} skill(s), {files} entries, {len(report.lock.surfaces)} config "
               f"entr{'y' if len(report.lock.surfaces) == 1 else 'ies'} → {options.lockfile}"
               + (" (signed)" if report.signed else ""))


def verify_command(
    paths: list[Path] = typer.Argument(None, help="Only skills under these paths (no config surfaces)."),
    rescan: bool = typer.Option(False, "--rescan", help="Re-scan drifted skills (all, if the rule packs "
                                "changed) and show the risk delta."),
    fmt: VerifyFormat = typer.Option(VerifyFormat.TABLE, "--format", "-f"),
    output: Path | None = OUTPUT,
    lockfile: Path | None = LOCKFILE,
    full: bool = typer.Option(False, "--full", help="Hash every file; do not trust the stat cache."),
    trust_cache: bool = typer.Option(False, "--trust-cache", help="Use the stat cache even for a signed "
                                     "lockfile (faster; the cache itself is not signed)."),
    allowed_signers: Path | None = ALLOWED_SIGNERS,
    require_signature: bool = typer.Option(False, "--require-signature", help="Refuse an unsigned lockfile."),
    skill_signers: Path | None = SKILL_SIGNERS,
    rules_dirs: list[Path] = RULES_DIRS,
    no_color: bool = NO_COLOR,
) -> None:
    """Compare installed skills and agent configs with the lockfile; report every difference."""
    from skillscan.integrity import audit, report

    options = _options(lockfile, paths, full=full, trust_cache=trust_cache, allowed_signers=allowed_signers,
                       skill_signers=skill_signers, require_signature=require_signature,
                       rule_dirs=tuple(rules_dirs))
    done = audit.verify(options, rescan=rescan)
    if fmt is VerifyFormat.JSON:
        text = report.render_json(done, options.lockfile)
    elif fmt is VerifyFormat.SARIF:
        text = report.render_sarif(done)
    else:
        text = report.render_table(done, color=use_color(no_color, output))
    write_output(text, output)
    raise typer.Exit(done.result.exit_code)


def approve_command(
    target: str = typer.Argument(..., help="Skill name or path."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    lockfile: Path | None = LOCKFILE,
    sign_key: Path | None = SIGN_KEY,
    allowed_signers: Path | None = ALLOWED_SIGNERS,
    skill_signers: Path | None = SKILL_SIGNERS,
    no_scan: bool = NO_SCAN,
    rules_dirs: list[Path] = RULES_DIRS,
) -> None:
    """Show what changed in a skill and its scan result, then record its current state as approved."""
    from skillscan.integrity import actions
    from skillscan.integrity.report import safe_text

    options = _options(lockfile, allowed_signers=allowed_signers, skill_signers=skill_signers,
                       scan=not no_scan, rule_dirs=tuple(rules_dirs))
    plan = actions.plan_approve(options, target)
    typer.echo(f"{safe_text(plan.root.path)} ({plan.root.client}/{plan.root.scope})"
               + ("" if plan.previous else ": not approved before"))
    for drift in plan.drifts:
        typer.echo(f"  {drift.severity.label:8} {drift.kind} {safe_text(drift.path)} {safe_text(drift.detail)}".rstrip())
    if plan.previous and not plan.drifts:
        typer.echo("  no change since approval")
    for finding in plan.findings:
        if finding.active:
            typer.echo(f"  finding {finding.severity.label} {finding.rule_id} {safe_text(finding.title)} "
                       f"({safe_text(finding.location.path)}:{finding.location.line})")
    if options.scan:
        typer.echo(f"  {sum(1 for f in plan.findings if f.active)} finding(s)")
    if not yes and not typer.confirm("Approve this state?", default=False):
        typer.echo("not approved")
        raise typer.Exit(1)
    record = actions.commit_approve(options, plan, sign_key)
    typer.echo(f"approved {safe_text(record.name)} ({record.digest[:19]}) → {options.lockfile}")


def watch_command(
    paths: list[Path] = typer.Argument(None, help="Watch these skill folders instead of the installed ones."),
    quarantine: bool = typer.Option(False, "--quarantine",
                                    help="Move a drifted skill with HIGH findings out of reach."),
    no_rescan: bool = typer.Option(False, "--no-rescan", help="Only re-verify; do not re-scan."),
    debounce_ms: int = typer.Option(300, "--debounce-ms", min=10, help="Quiet time that ends a burst of writes."),
    lockfile: Path | None = LOCKFILE,
    allowed_signers: Path | None = ALLOWED_SIGNERS,
    skill_signers: Path | None = SKILL_SIGNERS,
    rules_dirs: list[Path] = RULES_DIRS,
) -> None:
    """Watch installed skills and agent configs; report drift as it happens (Ctrl-C to stop)."""
    from skillscan.integrity.report import safe_text
    from skillscan.integrity.watch import Watcher, WatchReport, wait_forever

    options = _options(lockfile, paths, allowed_signers=allowed_signers, skill_signers=skill_signers,
                       rule_dirs=tuple(rules_dirs))

    def show(report: WatchReport) -> None:
        if report.error:
            typer.echo(f"watch: error: {safe_text(report.error)}", err=True)
        if report.phase == "drift":
            for d in report.drifts:
                typer.echo(f"DRIFT {d.severity.label} {d.kind} {safe_text(d.skill)} {safe_text(d.path or d.where)} "
                           f"{safe_text(d.detail)}".rstrip())
        for path, found in report.findings.items():
            worst = max((f.severity for f in found), default=None)
            worst_text = f", worst {worst.label}" if worst is not None else ""
            typer.echo(f"re-scan {safe_text(path)}: {len(found)} finding(s){worst_text}")
        for q in report.quarantined:
            typer.echo(f"QUARANTINED {safe_text(q.name)}: {safe_text(q.original_path)} → {q.quarantine_path}")

    from skillscan.integrity import audit

    start = audit.verify(options).result  # drift that happened while nobody was watching
    typer.echo(f"current state: {len(start.drifted)} drift(s)", err=True)
    show(WatchReport("drift", start.drifted, []))
    watcher = Watcher(options, show, debounce=debounce_ms / 1000, quarantine=quarantine, rescan=not no_rescan)
    typer.echo(f"watching {len(watcher.watched())} folder(s); Ctrl-C to stop", err=True)
    wait_forever(watcher)


def restore_command(
    target: str = typer.Argument(..., help="Approved skill name or path."),
    lockfile: Path | None = LOCKFILE,
    allowed_signers: Path | None = ALLOWED_SIGNERS,
) -> None:
    """Put the last approved version of a skill back (atomically); the replaced version is quarantined."""
    from skillscan.integrity import actions

    record, dest, displaced = actions.restore(_options(lockfile, allowed_signers=allowed_signers), target)
    typer.echo(f"restored {record.name} ({record.digest[:19]}) at {dest}")
    if displaced is not None:
        typer.echo(f"previous content quarantined at {displaced.quarantine_path}")


def quarantine_command(
    target: str = typer.Argument(..., help="Skill name or path."),
    lockfile: Path | None = LOCKFILE,
    allowed_signers: Path | None = ALLOWED_SIGNERS,
) -> None:
    """Move a skill out of every agent's reach (into the user data dir) and record it."""
    from skillscan.integrity import actions

    record = actions.quarantine(_options(lockfile, allowed_signers=allowed_signers), target)
    typer.echo(f"quarantined {record.name}: {record.original_path} → {record.quarantine_path}")

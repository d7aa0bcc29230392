"""Sharded scans (`scan --shard K/N`), `skillscan merge`, and `--fail-on-skipped` (issue 7)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from .conftest import FIXTURES
from .helpers import run_cli, write_skill

SCHEMAS = Path(__file__).parent / "schemas"
REPORT_SCHEMA = json.loads((SCHEMAS / "report-v1.schema.json").read_text())
SARIF_SCHEMA = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
CORPUS = FIXTURES / "corpus"
# A handful of the corpus (no scripts semgrep would have to start for): keeps the scans well under a second.
HANDFUL = [
    "malicious/c01-commit-message-writer", "malicious/c01-csv-cleaner", "malicious/c02-api-docs-generator",
    "malicious/c02-emoji-release-notes", "malicious/c03-disk-space-cleanup", "malicious/c03-macos-dev-setup",
    "benign/trap-p1-cfg-agents-md-bootstrap", "benign/trap-p1-cfg-cli-path-setup", "benign/trap-p1-cfg-codex-profile",
    "benign/trap-p1-cfg-cursor-rules-sync",
]
BENIGN = FIXTURES / "skills" / "benign-secure-installs"
QUIET_SKILL = "---\nname: {name}\ndescription: A plain skill that formats dates.\n---\nFormat the date as ISO 8601.\n"


@pytest.fixture(scope="module")
def corpus_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("corpus") / "skills"
    for relative in HANDFUL:
        shutil.copytree(CORPUS / relative, tree / relative)
    return tree


def _nested_tree(root: Path) -> Path:
    """Fourteen skills at different depths (the key is the path relative to the target, not the name)."""
    for n in range(14):
        group = ("alpha", "beta/gamma", "")[n % 3]
        write_skill(root / group if group else root, f"skill-{n}", {"SKILL.md": QUIET_SKILL.format(name=f"s{n}")})
    write_skill(root / "beta", "skill-0", {"SKILL.md": QUIET_SKILL.format(name="same folder name, other place")})
    return root


def _assignment(target: Path, n: int, targets: tuple[Path, ...] | None = None) -> list[set[str]]:
    from skillscan.pipeline import ScanOptions, discover

    paths = targets or (target,)
    return [{r.path.relative_to(target).as_posix() for r in discover(ScanOptions(paths=paths, shard=(k, n)))}
            for k in range(1, n + 1)]


# --- --shard ----------------------------------------------------------------------------------


def test_shard_parse() -> None:
    from skillscan import shard
    from skillscan.errors import UsageError

    assert shard.parse("1/1") == (1, 1) and shard.parse("3/4") == (3, 4) and shard.parse(" 2 / 5 ") == (2, 5)
    for bad in ("0/3", "4/3", "a/b", "3", "1/0", "-1/3", "1/3/5", "", "1.0/3"):
        with pytest.raises(UsageError):
            shard.parse(bad)


@pytest.mark.parametrize("bad", ["0/3", "4/3", "a/b", "2"])
def test_bad_shard_is_a_usage_error(capsys: pytest.CaptureFixture[str], bad: str) -> None:
    run = run_cli(capsys, "scan", str(BENIGN), "--shard", bad, "--quiet")
    assert run.code == 2 and "--shard" in run.err and ("K/N" in run.err or "between 1 and N" in run.err)
    assert run.out == ""


def test_shards_partition_the_skills_whatever_the_checkout_path(tmp_path: Path) -> None:
    from skillscan import shard
    from skillscan.pipeline import ScanOptions, discover

    one = _nested_tree(tmp_path / "runner-a" / "checkout" / "skills")
    two = shutil.copytree(one, tmp_path / "elsewhere" / "deeper" / "tree")  # another absolute path, another name
    everything = {r.path.relative_to(one).as_posix() for r in discover(ScanOptions(paths=(one,)))}
    assert len(everything) == 15
    for n in (1, 2, 3, 4):
        shards = _assignment(one, n)
        assert set().union(*shards) == everything, n  # every skill is in some shard
        assert sum(len(s) for s in shards) == len(everything), n  # and in one only
        assert _assignment(two, n) == shards, n  # the same split after a checkout elsewhere
    assert sum(1 for s in _assignment(one, 3) if s) >= 2  # the split is real, not everything in one shard
    # Discovery order does not matter: the same roots, reversed, land in the same shards.
    roots = discover(ScanOptions(paths=(one,)))
    for k in (1, 2, 3):
        assert ({r.path for r in shard.select(reversed(roots), (one,), (k, 3))}
                == {r.path for r in shard.select(roots, (one,), (k, 3))})


def test_skill_folders_named_one_by_one_are_sharded_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = _nested_tree(tmp_path / "skills")
    monkeypatch.chdir(tmp_path)
    named = tuple(sorted(p.parent.relative_to(tmp_path) for p in tree.rglob("SKILL.md")))
    shards = _assignment(tmp_path, 3, named)
    assert set().union(*shards) == {p.as_posix() for p in named}
    assert sum(len(s) for s in shards) == len(named) and sum(1 for s in shards if s) >= 2


def test_installed_skills_shard_and_agent_configs_only_in_shard_one(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    home, project = tmp_path / "home", tmp_path / "project"
    for n in range(8):
        write_skill(home / ".claude" / "skills", f"skill-{n}", {"SKILL.md": QUIET_SKILL.format(name=f"s{n}")})
    (home / ".claude" / "CLAUDE.md").write_text("Prefer small commits.\n")
    project.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(project)

    def skills(*args: str) -> list[str]:
        run = run_cli(capsys, "scan", "--format", "json", "--quiet", *args)
        assert run.code == 0, run.err
        return [s["name"] for s in json.loads(run.out)["skills"]]

    everything = skills()
    configs = [name for name in everything if name.startswith("agent config")]
    assert configs == ["agent config in ~/.claude"]
    shards = [skills("--shard", f"{k}/2") for k in (1, 2)]
    assert sorted(shards[0] + shards[1]) == sorted(everything)  # configs counted once, in shard 1
    assert configs[0] in shards[0] and configs[0] not in shards[1]
    assert all(len(s) >= 2 for s in shards)


# --- merge ------------------------------------------------------------------------------------


def _scan(capsys: pytest.CaptureFixture[str], out: Path, *args: str) -> int:
    run = run_cli(capsys, "scan", *args, "--quiet", "-o", str(out))
    assert run.code in (0, 1), run.err
    return run.code


def _resolved(run: dict, result: dict) -> str:
    artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
    return run["originalUriBaseIds"][artifact["uriBaseId"]]["uri"] + artifact["uri"]


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_merged_shards_equal_one_unsharded_scan(capsys: pytest.CaptureFixture[str], tmp_path: Path, corpus_tree: Path,
                                                fmt: str) -> None:
    whole = tmp_path / f"whole.{fmt}"
    whole_code = _scan(capsys, whole, str(corpus_tree), "--format", fmt)
    shards = [tmp_path / f"shard-{k}.{fmt}" for k in (1, 2, 3)]
    for k, out in enumerate(shards, 1):
        _scan(capsys, out, str(corpus_tree), "--format", fmt, "--shard", f"{k}/3")
    merged_file = tmp_path / f"merged.{fmt}"
    run = run_cli(capsys, "merge", *map(str, shards), "-o", str(merged_file))
    assert run.code == whole_code == 1, run.err
    merged, expected = json.loads(merged_file.read_text()), json.loads(whole.read_text())
    parts = [json.loads(s.read_text()) for s in shards]
    if fmt == "json":
        jsonschema.validate(merged, REPORT_SCHEMA)
        assert sum(1 for p in parts if p["skills"]) >= 2, "the handful must really be split"
        assert {f["fingerprint"] for f in merged["findings"]} == {f["fingerprint"] for f in expected["findings"]}
        assert len(merged["findings"]) == len(expected["findings"])
        assert sorted(s["path"] for s in merged["skills"]) == sorted(s["path"] for s in expected["skills"])
        assert merged["summary"] == expected["summary"] and merged["summary"]["skills"] == len(HANDFUL)
        assert merged["rule_packs"] == expected["rule_packs"]
        return
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(merged)
    (run_merged,), (run_whole,) = merged["runs"], expected["runs"]
    assert sum(1 for p in parts if p["runs"][0]["results"]) >= 2, "the handful must really be split"
    assert run_merged["properties"]["skills"] == run_whole["properties"]["skills"] == len(HANDFUL)
    assert run_merged["properties"]["exitCode"] == 1 and len(run_merged["invocations"]) == 3
    rules = run_merged["tool"]["driver"]["rules"]
    assert len({r["id"] for r in rules}) == len(rules)
    for result in run_merged["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]  # re-indexed into the merged rules
    # The skills lie outside the current directory: each shard numbered its own SKILLROOT_<n>;
    # after the merge every result still points at the same file as in the unsharded scan.
    assert {(r["partialFingerprints"]["skillscan/v1"], _resolved(run_merged, r)) for r in run_merged["results"]} \
        == {(r["partialFingerprints"]["skillscan/v1"], _resolved(run_whole, r)) for r in run_whole["results"]}
    assert len(run_merged["results"]) == len(run_whole["results"])


def test_merge_keeps_identical_findings_once_and_applies_fail_on(capsys: pytest.CaptureFixture[str],
                                                                  tmp_path: Path) -> None:
    for fmt in ("json", "sarif"):
        report = tmp_path / f"benign.{fmt}"
        assert _scan(capsys, report, str(BENIGN), "--format", fmt) == 0
        single = json.loads(report.read_text())
        run = run_cli(capsys, "merge", str(report), str(report))  # the same shard twice
        assert run.code == 0, run.err
        merged = json.loads(run.out)
        if fmt == "json":
            assert merged["findings"] == single["findings"] and merged["summary"] == single["summary"]
            assert merged["findings"], "the benign skill has low findings"
        else:
            assert merged["runs"][0]["results"] == single["runs"][0]["results"]
        low = run_cli(capsys, "merge", str(report), "--fail-on", "low")
        assert low.code == 1
        summary = json.loads(low.out).get("summary") or json.loads(low.out)["runs"][0]["properties"]
        assert summary.get("exit_code", summary.get("exitCode")) == 1


def test_merge_refuses_mismatched_inputs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    report, log = tmp_path / "a.json", tmp_path / "a.sarif"
    _scan(capsys, report, str(BENIGN), "--format", "json")
    _scan(capsys, log, str(BENIGN), "--format", "sarif")
    data = json.loads(report.read_text())

    def variant(name: str, change) -> Path:  # type: ignore[no-untyped-def]
        copy = json.loads(json.dumps(data))
        change(copy)
        path = tmp_path / name
        path.write_text(json.dumps(copy))
        return path

    other_pack = variant("b.json", lambda d: d["rule_packs"][0].update(digest="sha256:" + "0" * 64))
    run = run_cli(capsys, "merge", str(report), str(other_pack))
    assert run.code == 2 and "different rule packs" in run.err and run.out == ""
    sarif = json.loads(log.read_text())
    sarif["runs"][0]["properties"]["rulePacks"][0]["digest"] = "sha256:" + "1" * 64
    (tmp_path / "b.sarif").write_text(json.dumps(sarif))
    run = run_cli(capsys, "merge", str(log), str(tmp_path / "b.sarif"))
    assert run.code == 2 and "different rule packs" in run.err
    future = variant("c.json", lambda d: d.update(schema_version=2))
    run = run_cli(capsys, "merge", str(report), str(future))
    assert run.code == 2 and "schema_version 2" in run.err
    run = run_cli(capsys, "merge", str(report), str(log))
    assert run.code == 2 and "mix formats" in run.err
    run = run_cli(capsys, "merge", str(report), "--format", "sarif")
    assert run.code == 2 and "--format sarif" in run.err
    (tmp_path / "junk.json").write_text("{not json")
    assert run_cli(capsys, "merge", str(tmp_path / "junk.json")).code == 2
    (tmp_path / "other.json").write_text('{"hello": 1}')
    assert run_cli(capsys, "merge", str(tmp_path / "other.json")).code == 2
    assert run_cli(capsys, "merge", str(tmp_path / "missing.json")).code == 2
    assert run_cli(capsys, "merge").code == 2


def test_sarif_merge_reindexes_rules_artifacts_and_base_ids() -> None:
    """Two hand-made logs of one tool: different rule orders, artifacts, and SKILLROOT_1 meaning
    two folders."""
    from skillscan.report.merge import merge_sarif

    def log(rules: list[str], root: str, results: list[tuple[str, str]]) -> dict:
        return {"version": "2.1.0", "runs": [{
            "tool": {"driver": {"name": "skillscan", "version": "1", "rules": [{"id": r} for r in rules]}},
            "originalUriBaseIds": {"SKILLROOT_1": {"uri": root}},
            "artifacts": [{"location": {"uri": path, "uriBaseId": "SKILLROOT_1"}} for _, path in results],
            "results": [{"ruleId": rule, "ruleIndex": rules.index(rule), "message": {"text": "m"},
                         "partialFingerprints": {"skillscan/v1": f"sks1:{rule}:{path}"},
                         "locations": [{"physicalLocation": {"artifactLocation": {
                             "uri": path, "uriBaseId": "SKILLROOT_1", "index": n}}}]}
                        for n, (rule, path) in enumerate(results)],
        }, {"tool": {"driver": {"name": "other-tool", "rules": []}}, "results": []}]}

    first = log(["A", "B"], "file:///x/one/", [("B", "SKILL.md")])
    second = log(["C", "A"], "file:///x/two/", [("A", "run.sh"), ("C", "SKILL.md")])
    merged = merge_sarif([first, second], [Path("1.sarif"), Path("2.sarif")])
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(merged)
    assert [r["tool"]["driver"]["name"] for r in merged["runs"]] == ["skillscan", "other-tool"]
    run = merged["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rules == ["A", "B", "C"]
    seen = []
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]
        artifact = run["artifacts"][location["index"]]["location"]
        assert artifact == {"uri": location["uri"], "uriBaseId": location["uriBaseId"]}
        seen.append((result["ruleId"], run["originalUriBaseIds"][location["uriBaseId"]]["uri"] + location["uri"]))
    assert seen == [("B", "file:///x/one/SKILL.md"), ("A", "file:///x/two/run.sh"), ("C", "file:///x/two/SKILL.md")]
    assert set(run["originalUriBaseIds"]) == {"SKILLROOT_1", "SKILLROOT_2"}


def test_merge_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    run = run_cli(capsys, "merge", "--help")
    assert run.code == 0 and "Example" in run.out and "skillscan merge" in run.out and "--fail-on" in run.out


# --- --fail-on-skipped ------------------------------------------------------------------------


def _skill_with_skips(root: Path) -> Path:
    skill = write_skill(root, "dates", {"SKILL.md": QUIET_SKILL.format(name="dates")})
    (skill / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)  # skipped as binary, no finding
    return skill


def test_fail_on_skipped_flag(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    skill = _skill_with_skips(tmp_path)
    report = json.loads(run_cli(capsys, "scan", str(skill), "--format", "json").out)
    assert report["summary"]["findings"] == 0
    assert [(s["path"], s["reason"]) for s in report["skills"][0]["skipped"]] == [("logo.png", "binary")]
    assert run_cli(capsys, "scan", str(skill), "--quiet").code == 0  # skipped files alone do not fail a scan
    run = run_cli(capsys, "scan", str(skill), "--quiet", "--fail-on-skipped")
    assert run.code == 1
    assert "1 file skipped: dates/logo.png (binary) (--fail-on-skipped)" in run.err
    run = run_cli(capsys, "scan", str(skill), "--quiet", "--fail-on-skipped", "--exit-zero")
    assert run.code == 0 and "--exit-zero" in run.err  # --exit-zero still wins, and says so
    clean = write_skill(tmp_path / "clean", "plain", {"SKILL.md": QUIET_SKILL.format(name="plain")})
    assert run_cli(capsys, "scan", str(clean), "--quiet", "--fail-on-skipped").code == 0


def test_fail_on_skipped_from_the_config(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from skillscan import config

    skill = _skill_with_skips(tmp_path)
    settings = tmp_path / "skillscan.toml"
    settings.write_text("fail-on-skipped = true\n")
    assert config.load(settings).fail_on_skipped is True
    run = run_cli(capsys, "scan", str(skill), "--quiet", "--config", str(settings))
    assert run.code == 1 and "(binary)" in run.err and "--fail-on-skipped" in run.err
    assert run_cli(capsys, "scan", str(skill), "--quiet", "--config", str(settings), "--no-fail-on-skipped").code == 0
    # Files the config itself excludes are a choice, not a gap in the scan.
    settings.write_text('fail-on-skipped = true\nexclude = ["**/logo.png"]\n')
    run = run_cli(capsys, "scan", str(skill), "--quiet", "--config", str(settings))
    assert run.code == 0, run.err
    settings.write_text('fail-on-skipped = "yes"\n')
    run = run_cli(capsys, "scan", str(skill), "--quiet", "--config", str(settings))
    assert run.code == 2 and "fail-on-skipped" in run.err and "true or false" in run.err

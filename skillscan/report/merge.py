"""`skillscan merge`: one report from the reports of a sharded scan (`scan --shard K/N`).

JSON reports (schema_version 1): skills, findings, errors and skipped rules are concatenated,
identical findings (same fingerprint and file) and skills (same folder) kept once, and the
summary is counted again over the merged lists. All inputs must share the schema version and
the rule packs (name, version, digest): findings of different rules do not add up.

SARIF 2.1.0 logs: one run per tool driver (name and version). Runs of the same driver are
merged: their rules and artifacts are united and every `ruleIndex` / artifact `index` of the
results re-pointed, `originalUriBaseIds` united (a base id that means another folder in another
shard, such as SKILLROOT_1, is renamed), invocations kept, identical results (same fingerprint
and location) kept once. `%SRCROOT%` is the checkout in every shard and keeps the first
shard's value.

Errors are UsageErrors: the command exits 2 with a message naming the file.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skillscan.errors import UsageError
from skillscan.model import Severity
from skillscan.report import jsontext

JSON = "json"
SARIF = "sarif"
SUPPORTED_SCHEMA_VERSIONS = (1,)
SARIF_VERSION = "2.1.0"
FINGERPRINT_KEY = "skillscan/v1"
SRCROOT = "%SRCROOT%"
_RUN_ORDER = ("tool", "invocations", "originalUriBaseIds", "artifacts", "columnKind", "results", "properties")
_LEVEL_SEVERITY = {"error": Severity.HIGH, "warning": Severity.MEDIUM, "note": Severity.LOW, "none": Severity.INFO}


@dataclass(frozen=True)
class Report:
    path: Path
    fmt: str  # JSON or SARIF
    data: dict[str, Any]


def load(path: Path) -> Report:
    """Read one report and tell its format; anything else is a usage error."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{path}: cannot read: {getattr(error, 'strerror', None) or error}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"{path}: not JSON ({error.msg} at line {error.lineno}); merge reads skillscan JSON "
                         "reports and SARIF logs") from None
    if isinstance(data, dict) and "schema_version" in data:
        version = data["schema_version"]
        if version not in SUPPORTED_SCHEMA_VERSIONS:
            raise UsageError(f"{path}: JSON report schema_version {version!r} is not supported (this skillscan "
                             f"reads {', '.join(map(str, SUPPORTED_SCHEMA_VERSIONS))})")
        _require(path, data, {"skills": list, "findings": list, "rule_packs": list})
        return Report(path, JSON, data)
    if isinstance(data, dict) and "runs" in data:
        if data.get("version") != SARIF_VERSION:
            raise UsageError(f"{path}: SARIF version {data.get('version')!r} is not supported (only {SARIF_VERSION})")
        _require(path, data, {"runs": list})
        return Report(path, SARIF, data)
    raise UsageError(f"{path}: neither a skillscan JSON report (schema_version) nor a SARIF log (runs)")


def _require(path: Path, data: dict[str, Any], fields: dict[str, type]) -> None:
    for name, kind in fields.items():
        if not isinstance(data.get(name), kind):
            raise UsageError(f"{path}: malformed report: {name!r} must be a {kind.__name__}")


def merge_files(paths: Sequence[Path], fmt: str | None = None, fail_on: Severity = Severity.HIGH) -> tuple[str, dict[str, Any], int]:
    """(format, merged report, exit code 0/1 over its active findings at or above `fail_on`)."""
    if not paths:
        raise UsageError("merge: no reports given")
    reports = [load(p) for p in paths]
    formats = sorted({r.fmt for r in reports})
    if len(formats) > 1:
        listed = "; ".join(f"{r.path} is {r.fmt}" for r in reports)
        raise UsageError(f"merge: the reports mix formats ({listed}); merge JSON reports and SARIF logs separately")
    found = formats[0]
    if fmt is not None and fmt != found:
        raise UsageError(f"merge: --format {fmt} but the reports are {found}; merge writes the format it reads "
                         f"(scan the shards with --format {fmt} instead)")
    if found == JSON:
        merged = merge_json([r.data for r in reports], [r.path for r in reports], fail_on)
        return JSON, merged, merged["summary"]["exit_code"]
    merged = merge_sarif([r.data for r in reports], [r.path for r in reports], fail_on)
    return SARIF, merged, sarif_exit_code(merged, fail_on)


def render(data: dict[str, Any]) -> str:
    return jsontext.dumps(data) + "\n"


# --- JSON -------------------------------------------------------------------------------------


def _packs(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted((str(p.get("name")), str(p.get("version")), str(p.get("digest"))) for p in data["rule_packs"])


def _same_packs(items: Sequence[tuple[Path, list[tuple[str, str, str]]]]) -> None:
    first_path, first = items[0]
    for path, packs in items[1:]:
        if packs != first:
            raise UsageError(f"merge: {path} and {first_path} were scanned with different rule packs "
                             f"({_describe(packs)} vs {_describe(first)}); scan every shard with the same skillscan "
                             "and rule packs")


def _describe(packs: Iterable[tuple[str, str, str]]) -> str:
    return ", ".join(f"{name} {version} {digest[:19]}…" for name, version, digest in packs) or "no packs"


def merge_json(reports: Sequence[dict[str, Any]], paths: Sequence[Path], fail_on: Severity = Severity.HIGH) -> dict[str, Any]:
    versions = {r["schema_version"] for r in reports}
    if len(versions) > 1:
        raise UsageError(f"merge: the reports have different schema versions ({', '.join(map(str, sorted(versions)))})")
    _same_packs([(p, _packs(r)) for p, r in zip(paths, reports, strict=True)])
    first = reports[0]
    skills = _unique((s for r in reports for s in r["skills"]), lambda s: s.get("path"))
    findings = _unique((f for r in reports for f in r["findings"]), lambda f: (f.get("fingerprint"), f.get("path")))
    errors = _unique((e for r in reports for e in r.get("errors", [])), _canonical)
    skipped_rules = _unique((s for r in reports for s in r.get("skipped_rules", [])), _canonical)
    active = [f for f in findings if f.get("suppressed") is None]
    merged: dict[str, Any] = {key: copy.deepcopy(value) for key, value in first.items()}  # fields added later survive
    merged.update({
        "skills": skills,
        "findings": findings,
        "errors": errors,
        "skipped_rules": skipped_rules,
    })
    summary = _summed_extras(r.get("summary", {}) for r in reports)
    summary.update({
        "skills": len(skills),
        "files_scanned": sum(len(s.get("files", [])) for s in skills),
        "files_skipped": sum(len(s.get("skipped", [])) for s in skills),
        "findings": len(active),
        "suppressed": len(findings) - len(active),
        "by_severity": {s.label: sum(1 for f in active if f.get("severity") == s.label) for s in reversed(Severity)},
        "fail_on": fail_on.label,
        "exit_code": 1 if any(_severity(f.get("severity")) >= fail_on for f in active) else 0,
    })
    merged["summary"] = summary
    return merged


def _summed_extras(summaries: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Summary fields this version does not know: whole numbers are added up, others kept from the first."""
    extras: dict[str, Any] = {}
    for summary in summaries:
        for key, value in summary.items():
            if key not in extras:
                extras[key] = copy.deepcopy(value)
            elif isinstance(value, int) and not isinstance(value, bool) and isinstance(extras[key], int):
                extras[key] += value
    return extras


def _severity(label: Any) -> Severity:
    try:
        return Severity.parse(str(label))
    except (KeyError, AttributeError, ValueError):
        return Severity.INFO


def _canonical(item: Any) -> str:
    return json.dumps(item, sort_keys=True, ensure_ascii=False)


def _unique(items: Iterable[Any], key: Callable[[Any], Any]) -> list[Any]:
    seen: set[Any] = set()
    kept = []
    for item in items:
        marker = key(item)
        marker = _canonical(marker) if isinstance(marker, (dict, list)) else marker
        if marker not in seen:
            seen.add(marker)
            kept.append(copy.deepcopy(item))
    return kept


# --- SARIF ------------------------------------------------------------------------------------


def merge_sarif(logs: Sequence[dict[str, Any]], paths: Sequence[Path], fail_on: Severity = Severity.HIGH) -> dict[str, Any]:
    merged: dict[str, Any] = {key: copy.deepcopy(value) for key, value in logs[0].items() if key != "runs"}
    runs: dict[tuple[str, str], _RunMerger] = {}
    for log, path in zip(logs, paths, strict=True):
        for run in log["runs"]:
            if not isinstance(run, dict) or not isinstance(run.get("tool", {}).get("driver"), dict):
                raise UsageError(f"{path}: malformed SARIF: a run without tool.driver")
            driver = run["tool"]["driver"]
            identity = (str(driver.get("name")), str(driver.get("semanticVersion") or driver.get("version") or ""))
            if identity not in runs:
                runs[identity] = _RunMerger(run, path)
            else:
                runs[identity].add(run, path)
    merged["runs"] = [m.finish(fail_on) for m in runs.values()]
    return merged


def sarif_exit_code(log: dict[str, Any], fail_on: Severity) -> int:
    return 1 if any(_result_severity(r) >= fail_on for run in log["runs"] for r in run.get("results", [])
                    if _active(r)) else 0


def _active(result: dict[str, Any]) -> bool:
    return not any(s.get("status", "accepted") == "accepted" for s in result.get("suppressions", []))


def _result_severity(result: dict[str, Any]) -> Severity:
    label = result.get("properties", {}).get("severity")
    if label is not None:
        return _severity(label)
    return _LEVEL_SEVERITY.get(result.get("level", "warning"), Severity.MEDIUM)


class _RunMerger:
    """Runs of one tool driver, merged into the first."""

    def __init__(self, run: dict[str, Any], path: Path) -> None:
        self.run = {key: copy.deepcopy(value) for key, value in run.items()
                    if key not in ("results", "artifacts", "originalUriBaseIds", "invocations")}
        driver = self.run["tool"]["driver"]
        self.rules: list[dict[str, Any]] = []
        self.rule_index: dict[str, int] = {}
        self.artifacts: list[dict[str, Any]] = []
        self.artifact_index: dict[str, int] = {}
        self.bases: dict[str, Any] = {}
        self.invocations: list[dict[str, Any]] = []
        self.results: list[dict[str, Any]] = []
        self.seen: set[str] = set()
        self.packs = run.get("properties", {}).get("rulePacks")
        self.first_path = path
        self.skills = 0
        driver["rules"] = self.rules
        self.add(run, path)

    def add(self, run: dict[str, Any], path: Path) -> None:
        packs = run.get("properties", {}).get("rulePacks")
        if _pack_key(packs) != _pack_key(self.packs):
            raise UsageError(f"merge: {path} and {self.first_path} were scanned with different rule packs "
                             f"({_describe(_pack_key(packs))} vs {_describe(_pack_key(self.packs))}); scan every shard "
                             "with the same skillscan and rule packs")
        if run.get("columnKind", self.run.get("columnKind")) != self.run.get("columnKind", run.get("columnKind")):
            raise UsageError(f"merge: {path}: columnKind {run.get('columnKind')!r} differs from {self.first_path}")
        skills = run.get("properties", {}).get("skills")
        self.skills += skills if isinstance(skills, int) else 0
        rules = run["tool"]["driver"].get("rules", [])
        rule_map = {n: self._rule(rule) for n, rule in enumerate(rules)}
        before = set(self.bases)
        base_map = {name: self._base(name, value) for name, value in (run.get("originalUriBaseIds") or {}).items()}
        for name in set(self.bases) - before:  # a base may itself be relative to another base of its run
            _rebase(self.bases[name], base_map)
        artifacts = run.get("artifacts", [])
        artifact_map: dict[int, int] = {}
        for n, artifact in enumerate(artifacts):
            artifact = copy.deepcopy(artifact)
            _rebase(artifact, base_map)
            artifact_map[n] = self._artifact(artifact)
        for n in artifact_map:  # parentIndex after every artifact of the run has its new index
            parent = artifacts[n].get("parentIndex")
            if isinstance(parent, int) and parent in artifact_map:
                self.artifacts[artifact_map[n]]["parentIndex"] = artifact_map[parent]
        self.invocations.extend(copy.deepcopy(run.get("invocations", [])))
        for result in run.get("results", []):
            result = copy.deepcopy(result)
            self._repoint_rule(result, rules, rule_map, path)
            _rebase(result, base_map)
            _reindex_artifacts(result, artifact_map)
            marker = self._identity(result)
            if marker not in self.seen:
                self.seen.add(marker)
                self.results.append(result)

    def _rule(self, rule: dict[str, Any]) -> int:
        rule_id = str(rule.get("id"))
        if rule_id not in self.rule_index:
            self.rule_index[rule_id] = len(self.rules)
            self.rules.append(copy.deepcopy(rule))
        return self.rule_index[rule_id]

    def _repoint_rule(self, result: dict[str, Any], rules: list[dict[str, Any]], rule_map: dict[int, int],
                      path: Path) -> None:
        old = result.get("ruleIndex", result.get("rule", {}).get("index"))
        rule_id = result.get("ruleId") or result.get("rule", {}).get("id")
        if isinstance(old, int) and old in rule_map:
            new = rule_map[old]
        elif rule_id in self.rule_index:
            new = self.rule_index[rule_id]
        elif old is None and rule_id is None:
            return
        else:
            raise UsageError(f"{path}: malformed SARIF: result of rule {rule_id!r} points at no rule (ruleIndex {old!r})")
        if "ruleIndex" in result:
            result["ruleIndex"] = new
        if isinstance(result.get("rule"), dict) and "index" in result["rule"]:
            result["rule"]["index"] = new

    def _base(self, name: str, value: Any) -> str:
        """The merged name of an incoming uriBaseId: the same name when it means the same folder, an
        existing one that does, or a fresh name (SKILLROOT_1 of shard 2 is another folder than shard 1's)."""
        if name == SRCROOT or self.bases.get(name) == value:
            self.bases.setdefault(name, copy.deepcopy(value))
            return name
        for existing, known in self.bases.items():
            if known == value and existing != SRCROOT:
                return existing
        if name not in self.bases:
            self.bases[name] = copy.deepcopy(value)
            return name
        found = re.fullmatch(r"(.*?)(\d+)", name)
        prefix, number = (found.group(1), int(found.group(2))) if found else (name + "_", 1)
        while f"{prefix}{number}" in self.bases:
            number += 1
        fresh = f"{prefix}{number}"
        self.bases[fresh] = copy.deepcopy(value)
        return fresh

    def _artifact(self, artifact: dict[str, Any]) -> int:
        location = artifact.get("location", {})
        key = _canonical([location.get("uri"), location.get("uriBaseId")]) if location.get("uri") else _canonical(artifact)
        if key not in self.artifact_index:
            self.artifact_index[key] = len(self.artifacts)
            self.artifacts.append(artifact)
        return self.artifact_index[key]

    def _identity(self, result: dict[str, Any]) -> str:
        """Fingerprint and resolved file (skillscan results); the whole result for other tools."""
        fingerprint = (result.get("partialFingerprints") or {}).get(FINGERPRINT_KEY)
        if fingerprint is None:
            return _canonical(result)
        locations = result.get("locations") or [{}]
        artifact = locations[0].get("physicalLocation", {}).get("artifactLocation", {})
        base = self.bases.get(artifact.get("uriBaseId"), {})
        where = (base.get("uri", "") if isinstance(base, dict) else "") + str(artifact.get("uri", ""))
        return _canonical([fingerprint, result.get("ruleId"), where])

    def finish(self, fail_on: Severity) -> dict[str, Any]:
        run = self.run
        if self.invocations:
            run["invocations"] = self.invocations
        if self.bases:
            run["originalUriBaseIds"] = self.bases
        if self.artifacts:
            run["artifacts"] = self.artifacts
        run["results"] = self.results
        properties = run.get("properties")
        if isinstance(properties, dict) and "exitCode" in properties:  # a skillscan run
            properties["failOn"] = fail_on.label
            properties["exitCode"] = 1 if any(_result_severity(r) >= fail_on for r in self.results if _active(r)) else 0
            properties["skills"] = self.skills
        return {key: run[key] for key in (*_RUN_ORDER, *run) if key in run}


def _pack_key(packs: Any) -> list[tuple[str, str, str]]:
    if not isinstance(packs, list):
        return []
    return sorted((str(p.get("name")), str(p.get("version")), str(p.get("digest"))) for p in packs if isinstance(p, dict))


def _rebase(node: Any, base_map: dict[str, str]) -> None:
    """Rename every uriBaseId inside a result or artifact to its merged name."""
    if isinstance(node, dict):
        if isinstance(node.get("uriBaseId"), str) and node["uriBaseId"] in base_map:
            node["uriBaseId"] = base_map[node["uriBaseId"]]
        for value in node.values():
            _rebase(value, base_map)
    elif isinstance(node, list):
        for value in node:
            _rebase(value, base_map)


def _reindex_artifacts(node: Any, artifact_map: dict[int, int]) -> None:
    """Re-point `artifactLocation.index` (wherever it occurs in a result) at the merged artifacts."""
    if isinstance(node, dict):
        location = node.get("artifactLocation")
        if isinstance(location, dict) and isinstance(location.get("index"), int):
            location["index"] = artifact_map.get(location["index"], location["index"])
        for value in node.values():
            _reindex_artifacts(value, artifact_map)
    elif isinstance(node, list):
        for value in node:
            _reindex_artifacts(value, artifact_map)

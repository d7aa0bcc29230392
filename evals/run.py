"""Accuracy on the project's labelled corpus (fixtures/corpus): recall and false-positive rate.

    python evals/run.py            # table: overall, per category, per rule, misses, false alarms
    python evals/run.py --json     # the same figures as JSON

An item counts as detected at a threshold when any active finding reaches it. Recall is over
malicious items, the false-positive rate over benign items; per-rule precision counts the items
a rule fired on (at the threshold) that were malicious.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from skillscan.model import Finding, Severity  # noqa: E402
from skillscan.pipeline import ScanOptions, scan  # noqa: E402

CORPUS = REPO / "fixtures" / "corpus"
THRESHOLDS = (Severity.HIGH, Severity.MEDIUM)


@dataclass(frozen=True)
class Item:
    id: str
    label: str
    categories: tuple[str, ...]
    where: str
    trap: str
    path: Path


def load_items() -> list[Item]:
    items = []
    for manifest in sorted((CORPUS / "manifests").glob("*.yaml")):
        for entry in yaml.safe_load(manifest.read_text())["items"]:
            folder = CORPUS / ("malicious" if entry["label"] == "malicious" else "benign") / entry["id"]
            items.append(Item(entry["id"], entry["label"], tuple(entry.get("categories", ())),
                              str(entry.get("where", "")), str(entry.get("trap", "")), folder))
    return items


def evaluate(items: list[Item]) -> dict:
    started = time.perf_counter()
    result = scan(ScanOptions(paths=tuple(item.path for item in items), cache=False))  # cold: every figure is a full scan
    elapsed = time.perf_counter() - started
    files = sum(len(s.real_files) for s in result.skills)
    by_root: dict[Path, list[Finding]] = defaultdict(list)
    for finding in result.active_findings:
        by_root[finding.skill.root.resolve()].append(finding)
    report: dict = {"items": len(items), "seconds": round(elapsed, 2), "files": files,
                    "files_per_second": round(files / elapsed, 1) if elapsed else None, "thresholds": {}}
    for threshold in THRESHOLDS:
        report["thresholds"][threshold.label] = _at(items, by_root, threshold)
    return report


def _at(items: list[Item], by_root: dict[Path, list[Finding]], threshold: Severity) -> dict:
    malicious = [i for i in items if i.label == "malicious"]
    benign = [i for i in items if i.label == "benign"]
    hits = {i.id: [f for f in by_root.get(i.path.resolve(), []) if f.severity >= threshold] for i in items}
    detected = [i for i in malicious if hits[i.id]]
    false_alarms = [i for i in benign if hits[i.id]]
    per_category: dict[str, dict[str, int]] = defaultdict(lambda: {"items": 0, "detected": 0})
    for item in malicious:
        primary = item.categories[0] if item.categories else "?"
        per_category[primary]["items"] += 1
        per_category[primary]["detected"] += bool(hits[item.id])
    rule_tp: Counter[str] = Counter()
    rule_fp: Counter[str] = Counter()
    for item in items:
        for rule_id in {f.rule_id for f in hits[item.id]}:
            (rule_tp if item.label == "malicious" else rule_fp)[rule_id] += 1
    located = sum(1 for i in detected if _located(i, hits[i.id]))
    return {
        "recall": _ratio(len(detected), len(malicious)),
        "false_positive_rate": _ratio(len(false_alarms), len(benign)),
        "detected": len(detected), "malicious": len(malicious),
        "false_alarms": len(false_alarms), "benign": len(benign),
        "located_at_where": located,
        "per_category": {c: {**v, "recall": _ratio(v["detected"], v["items"])} for c, v in sorted(per_category.items())},
        "per_rule": {r: {"malicious_items": rule_tp[r], "benign_items": rule_fp[r],
                         "precision": _ratio(rule_tp[r], rule_tp[r] + rule_fp[r])}
                     for r in sorted(set(rule_tp) | set(rule_fp))},
        "misses": [i.id for i in malicious if not hits[i.id]],
        "false_alarm_items": {i.id: sorted({f"{f.rule_id} {f.location.path}:{f.location.line}" for f in hits[i.id]})
                              for i in false_alarms},
    }


def _located(item: Item, findings: list[Finding]) -> bool:
    path, _, line = item.where.rpartition(":")
    return any(str(f.location.path) == path and (not line.isdigit() or abs(f.location.line - int(line)) <= 2)
               for f in findings)


def _ratio(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def print_report(report: dict, verbose: bool) -> None:
    print(f"Corpus: {report['items']} skills, {report['files']} files, scanned in {report['seconds']} s "
          f"({report['files_per_second']} files/s)\n")
    print(f"{'threshold':<10} {'recall':>8} {'FP rate':>8}  detected   false alarms  located")
    for name, data in report["thresholds"].items():
        print(f">={name:<8} {data['recall']:>7}% {data['false_positive_rate']:>7}%  "
              f"{data['detected']:>3}/{data['malicious']:<5} {data['false_alarms']:>3}/{data['benign']:<8} {data['located_at_where']:>3}")
    for name, data in report["thresholds"].items():
        print(f"\nRecall per category at >={name}:")
        for category, values in data["per_category"].items():
            print(f"  {category}: {values['recall']:>5}%  ({values['detected']}/{values['items']})")
        if verbose:
            print(f"\nPer-rule precision at >={name} (items):")
            for rule_id, values in data["per_rule"].items():
                print(f"  {rule_id}: {values['precision']:>5}%  malicious {values['malicious_items']}, benign {values['benign_items']}")
        print(f"\nMisses at >={name} ({len(data['misses'])}): {', '.join(data['misses']) or 'none'}")
        print(f"False alarms at >={name} ({len(data['false_alarm_items'])}):")
        for item_id, findings in data["false_alarm_items"].items():
            print(f"  {item_id}: {'; '.join(findings)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--quiet", action="store_true", help="leave out the per-rule table")
    args = parser.parse_args()
    report = evaluate(load_items())
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report, verbose=not args.quiet)


if __name__ == "__main__":
    main()

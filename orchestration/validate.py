"""Contract validation of a landing folder, without loading it, and its reconciliation with the
generator's ground truth.

Every file of every delivery is read through the same readers, column mappings and contracts as
the ingest assets (``orchestration.lib.loader.collect``), keeping counts and quarantine entries
but not the rows, so any volume validates in bounded memory.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.generator.truth import TRUTH_DIR, iter_truth, read_manifest
from orchestration.lib.errors import MalformedFileError
from orchestration.lib.loader import collect


@dataclass
class EntityResult:
    source: str
    entity: str
    files: int = 0
    rows_read: int = 0
    rows_valid: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    quarantine_entries: set[tuple[str, int, str]] = field(default_factory=set)  # file, line, reason
    duplicate_files: set[tuple[str, str]] = field(default_factory=set)  # original, copy
    unknown_columns: set[str] = field(default_factory=set)
    malformed: str | None = None


@dataclass
class ValidationReport:
    entities: list[EntityResult]
    unclaimed_files: list[str]

    @property
    def ok(self) -> bool:
        return not self.unclaimed_files and all(e.malformed is None for e in self.entities)


def _validate_entity(landing: Path, index: int) -> tuple[EntityResult, set[str]]:
    """Validate the index-th ingest entity; returns its result and the files it claimed."""
    from orchestration.defs.ingest import ENTITIES

    contract, specs = ENTITIES[index]
    result = EntityResult(contract.source, contract.entity)
    try:
        batch, report = collect(contract, landing, specs, keep_rows=False)
    except MalformedFileError as exc:
        result.malformed = str(exc)
        return result, set()
    result.files = len(report.files)
    result.rows_read, result.rows_valid = report.rows_read, report.rows_loaded
    result.quarantined = Counter(report.quarantined_by_reason)
    result.quarantine_entries = {(q["source_file"], q["source_line"], q["reason"]) for q in batch.quarantine}
    result.duplicate_files = {(f.duplicate_of, f.file) for f in report.files if f.duplicate_of}
    result.unknown_columns = set(report.unknown_columns)
    return result, {f.file for f in report.files}


def validate_landing(landing: Path, workers: int = 1) -> ValidationReport:
    """Validate every entity; ``workers`` > 1 checks entities in parallel processes."""
    from orchestration.defs.ingest import ENTITIES

    indexes = range(len(ENTITIES))
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(_validate_entity, [landing] * len(ENTITIES), indexes))
    else:
        outcomes = [_validate_entity(landing, i) for i in indexes]
    results = [result for result, _ in outcomes]
    claimed = set().union(*(files for _, files in outcomes))
    every_file = {p.relative_to(landing).as_posix() for p in landing.rglob("*")
                  if p.is_file() and p.relative_to(landing).parts[0] != TRUTH_DIR}
    return ValidationReport(results, sorted(every_file - claimed))


def compare_with_truth(report: ValidationReport, landing: Path) -> list[str]:
    """Differences between what validation caught and the defects the generator says it injected."""
    manifest = read_manifest(landing)
    problems = []
    expected_counts = {(q["source"], q["entity"], q["reason"]): q["rows"] for q in manifest["expected_quarantine"]}
    actual_counts = {(e.source, e.entity, reason): n for e in report.entities for reason, n in e.quarantined.items()}
    for key in sorted(set(expected_counts) | set(actual_counts)):
        if expected_counts.get(key, 0) != actual_counts.get(key, 0):
            problems.append(f"quarantined {'/'.join(key)}: expected {expected_counts.get(key, 0)}, "
                            f"got {actual_counts.get(key, 0)}")
    expected_entries = {(d["file"], int(d["line"]), d["expected"].split(":", 1)[1])
                        for d in iter_truth(landing, "defects") if d["expected"].startswith("quarantine:")}
    actual_entries = set().union(*(e.quarantine_entries for e in report.entities))
    for file, line, reason in sorted(expected_entries - actual_entries)[:20]:
        problems.append(f"not quarantined: {file} line {line} ({reason})")
    for file, line, reason in sorted(actual_entries - expected_entries)[:20]:
        problems.append(f"quarantined but not an injected defect: {file} line {line} ({reason})")
    expected_duplicates = {(d["original"], d["copy"]) for d in manifest["expected_duplicate_files"]}
    actual_duplicates = set().union(*(e.duplicate_files for e in report.entities))
    if expected_duplicates != actual_duplicates:
        problems.append(f"duplicate files: expected {len(expected_duplicates)}, got {len(actual_duplicates)}; "
                        f"missing {sorted(expected_duplicates - actual_duplicates)[:5]}, "
                        f"unexpected {sorted(actual_duplicates - expected_duplicates)[:5]}")
    problems += [f"unreadable: {e.source}/{e.entity}: {e.malformed}" for e in report.entities if e.malformed]
    problems += [f"no contract reads {f}" for f in report.unclaimed_files[:20]]
    return problems


def render(report: ValidationReport) -> str:
    lines = [f"{'source/entity':32} {'files':>7} {'rows read':>12} {'valid':>12} {'quarantined':>12}  reasons"]
    for e in report.entities:
        name = f"{e.source}/{e.entity}"
        if e.malformed:
            lines.append(f"{name:32} UNREADABLE: {e.malformed}")
            continue
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(e.quarantined.items()))
        lines.append(f"{name:32} {e.files:>7,} {e.rows_read:>12,} {e.rows_valid:>12,} "
                     f"{sum(e.quarantined.values()):>12,}  {reasons}")
        if e.duplicate_files:
            lines.append(f"{'':32} {len(e.duplicate_files)} file(s) delivered twice, skipped")
        if e.unknown_columns:
            lines.append(f"{'':32} unknown columns kept in _extra: {', '.join(sorted(e.unknown_columns))}")
    if report.unclaimed_files:
        lines.append(f"files no contract reads: {len(report.unclaimed_files)}, e.g. {report.unclaimed_files[:3]}")
    return "\n".join(lines)

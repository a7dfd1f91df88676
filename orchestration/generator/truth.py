"""The ground truth written next to every generated dataset (``<out>/ground_truth/``).

* ``source_records.csv.gz`` — every identity-bearing source record and the real customer it
  belongs to (record ids as the warehouse names them: ``crm:lead:<Id>``, ``wecom:contact:<id>``,
  ``email:address:<address>``, ``finance:invoice:<number>`` …);
* ``journeys.csv.gz`` — the true funnel of every lead (and of every opportunity created without a
  lead, e.g. a repeat order) as of the end of the window: channel, stages entered, outcome;
* ``defects.csv.gz`` — every injected defect: kind, file, line, record, and what the pipeline must
  do with it (``quarantine:<reason>``, ``duplicate_file`` or ``load``);
* ``manifest.json`` — the settings, files per source, and the expected counts: quarantined rows
  per source/entity/reason and duplicate files.

Compressed with a fixed mtime so that the same seed gives byte-identical files.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TRUTH_DIR = "ground_truth"
RECORD_COLUMNS = ("customer_id", "record_id")
JOURNEY_COLUMNS = ("journey_id", "journey_type", "customer_id", "crm_system", "lead_id", "opportunity_id",
                   "channel", "created_at", "stages_entered", "furthest_stage", "outcome", "outcome_at",
                   "amount", "is_duplicate_lead")
DEFECT_COLUMNS = ("defect", "source", "entity", "file", "line", "record_id", "expected")


class _GzipCsv:
    def __init__(self, path: Path, header: tuple[str, ...]) -> None:
        self._raw = path.open("wb")
        self._gzip = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0)
        self._text = io.TextIOWrapper(self._gzip, encoding="utf-8", newline="")
        self._writer = csv.writer(self._text, lineterminator="\n")
        self._writer.writerow(header)

    def write(self, row: tuple[Any, ...]) -> None:
        self._writer.writerow(row)

    def close(self) -> None:
        self._text.close()
        self._raw.close()


class GroundTruth:
    """Streams the truth files while the generator runs; ``close`` writes the manifest."""

    def __init__(self, out_dir: Path) -> None:
        self.dir = out_dir / TRUTH_DIR
        self.dir.mkdir(parents=True, exist_ok=True)
        self._records = _GzipCsv(self.dir / "source_records.csv.gz", RECORD_COLUMNS)
        self._journeys = _GzipCsv(self.dir / "journeys.csv.gz", JOURNEY_COLUMNS)
        self._defects = _GzipCsv(self.dir / "defects.csv.gz", DEFECT_COLUMNS)
        self.expected_quarantine: Counter[tuple[str, str, str]] = Counter()
        self.defect_counts: Counter[str] = Counter()
        self.duplicate_files: list[tuple[str, str]] = []
        self.customers = 0
        self.journeys = 0

    def record(self, customer_id: str, record_id: str) -> None:
        self._records.write((customer_id, record_id))

    def journey(self, **values: Any) -> None:
        self.journeys += 1
        self._journeys.write(tuple(values.get(c, "") for c in JOURNEY_COLUMNS))

    def defect(self, defect: str, source: str, entity: str, file: str, line: int, record_id: str,
               expected: str) -> None:
        self.defect_counts[defect] += 1
        if expected.startswith("quarantine:"):
            self.expected_quarantine[(source, entity, expected.split(":", 1)[1])] += 1
        self._defects.write((defect, source, entity, file, line, record_id, expected))

    def duplicate_file(self, source: str, entity: str, original: str, copy: str) -> None:
        self.duplicate_files.append((original, copy))
        self.defect_counts["redelivered_file"] += 1
        self._defects.write(("redelivered_file", source, entity, copy, "", original, "duplicate_file"))

    def close(self, settings: dict[str, Any], files_written: dict[str, int]) -> dict[str, Any]:
        for writer in (self._records, self._journeys, self._defects):
            writer.close()
        manifest = {
            "generator": "orchestration.generator",
            "settings": settings,
            "customers": self.customers,
            "journeys": self.journeys,
            "files_written": dict(sorted(files_written.items())),
            "defects": dict(sorted(self.defect_counts.items())),
            "expected_quarantine": [
                {"source": s, "entity": e, "reason": r, "rows": n}
                for (s, e, r), n in sorted(self.expected_quarantine.items())
            ],
            "expected_duplicate_files": [{"original": o, "copy": c} for o, c in self.duplicate_files],
        }
        (self.dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                                encoding="utf-8")
        return manifest


def iter_truth(out_dir: Path, name: str) -> Iterator[dict[str, str]]:
    """Stream the rows of one truth file (``source_records``, ``journeys`` or ``defects``)."""
    with gzip.open(out_dir / TRUTH_DIR / f"{name}.csv.gz", "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def read_truth(out_dir: Path, name: str) -> list[dict[str, str]]:
    """All rows of one truth file, for tests and scoring of small datasets."""
    return list(iter_truth(out_dir, name))


def read_manifest(out_dir: Path) -> dict[str, Any]:
    return json.loads((out_dir / TRUTH_DIR / "manifest.json").read_text(encoding="utf-8"))

"""Score the single customer view against a generated dataset's ground truth.

Pairwise over the source records both sides know: precision = pairs of records put in the same
customer that truly are the same customer ÷ pairs put together; recall = those ÷ pairs that truly
belong together. Also counted: resolved customers that merge several real ones, and real
customers split over several resolved ones.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.generator.truth import iter_truth


@dataclass(frozen=True)
class IdentityScore:
    records_scored: int
    records_only_in_truth: int
    records_only_resolved: int
    true_pairs: int
    resolved_pairs: int
    correct_pairs: int
    real_customers: int
    resolved_customers: int
    wrongly_merged: int  # resolved customers holding records of more than one real customer
    split: int  # real customers whose records sit in more than one resolved customer

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.resolved_pairs if self.resolved_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def score_assignments(truth: dict[str, str], resolved: dict[str, str]) -> IdentityScore:
    """Both maps: record id → customer id. Only records in both are scored."""
    common = truth.keys() & resolved.keys()
    cells: Counter[tuple[str, str]] = Counter((truth[r], resolved[r]) for r in common)
    true_sizes: Counter[str] = Counter(truth[r] for r in common)
    resolved_sizes: Counter[str] = Counter(resolved[r] for r in common)
    real_per_resolved: dict[str, set[str]] = defaultdict(set)
    resolved_per_real: dict[str, set[str]] = defaultdict(set)
    for real, mine in cells:
        real_per_resolved[mine].add(real)
        resolved_per_real[real].add(mine)
    return IdentityScore(
        records_scored=len(common),
        records_only_in_truth=len(truth.keys() - resolved.keys()),
        records_only_resolved=len(resolved.keys() - truth.keys()),
        true_pairs=sum(_pairs(n) for n in true_sizes.values()),
        resolved_pairs=sum(_pairs(n) for n in resolved_sizes.values()),
        correct_pairs=sum(_pairs(n) for n in cells.values()),
        real_customers=len(true_sizes),
        resolved_customers=len(resolved_sizes),
        wrongly_merged=sum(1 for reals in real_per_resolved.values() if len(reals) > 1),
        split=sum(1 for mine in resolved_per_real.values() if len(mine) > 1),
    )


def score_warehouse(warehouse: Path, landing: Path) -> IdentityScore:
    truth = {row["record_id"]: row["customer_id"] for row in iter_truth(landing, "source_records")}
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        resolved = dict(conn.execute(
            "SELECT record_id, customer_key FROM marts.bridge_customer_source_record").fetchall())
    return score_assignments(truth, resolved)


def render(score: IdentityScore) -> str:
    return "\n".join([
        f"records scored        {score.records_scored:>10,}   (only in truth {score.records_only_in_truth:,}, "
        f"only resolved {score.records_only_resolved:,})",
        f"real customers        {score.real_customers:>10,}   resolved customers {score.resolved_customers:,}",
        f"pairwise precision    {score.precision:>10.4f}   ({score.correct_pairs:,} of {score.resolved_pairs:,} pairs)",
        f"pairwise recall       {score.recall:>10.4f}   ({score.correct_pairs:,} of {score.true_pairs:,} pairs)",
        f"pairwise F1           {score.f1:>10.4f}",
        f"wrongly merged        {score.wrongly_merged:>10,}   resolved customers mixing real ones",
        f"split                 {score.split:>10,}   real customers spread over several resolved ones",
    ])

"""Identity scoring against hand-counted pairs, and on the demo's warehouse."""

from orchestration.scoring import score_assignments, score_warehouse

# Real customers: A = {1, 2, 3}, B = {4, 5}, C = {6}. Resolved: {1, 2}, {3, 4, 5}, {6}.
TRUTH = {"r1": "A", "r2": "A", "r3": "A", "r4": "B", "r5": "B", "r6": "C", "r7": "C"}
RESOLVED = {"r1": "x", "r2": "x", "r3": "y", "r4": "y", "r5": "y", "r6": "z", "r8": "z"}


def test_pairwise_scores_by_hand():
    score = score_assignments(TRUTH, RESOLVED)
    # Scored records r1..r6. True pairs: A has 3 (1-2, 1-3, 2-3), B has 1 (4-5) → 4.
    # Resolved pairs: x has 1 (1-2), y has 3 (3-4, 3-5, 4-5) → 4. Correct: 1-2 and 4-5 → 2.
    assert (score.records_scored, score.records_only_in_truth, score.records_only_resolved) == (6, 1, 1)
    assert (score.true_pairs, score.resolved_pairs, score.correct_pairs) == (4, 4, 2)
    assert score.precision == 0.5 and score.recall == 0.5 and score.f1 == 0.5
    assert score.wrongly_merged == 1  # y mixes A and B
    assert score.split == 1  # A is spread over x and y


def test_demo_customer_view_meets_the_accuracy_targets(demo):
    score = score_warehouse(demo.home.warehouse, demo.home.landing)
    assert score.records_only_in_truth == 0 and score.records_only_resolved == 0
    assert score.precision >= 0.99
    assert score.recall >= 0.97

"""The sample generator is deterministic and writes every source."""

import hashlib

from orchestration.sample.generate import generate


def _tree_digest(root) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    written = generate(tmp_path / "a", customers=60, seed=3)
    generate(tmp_path / "b", customers=60, seed=3)
    generate(tmp_path / "c", customers=60, seed=4)
    assert set(written) == {"crm", "wecom", "email", "finance"}
    assert _tree_digest(tmp_path / "a") == _tree_digest(tmp_path / "b")
    assert _tree_digest(tmp_path / "a") != _tree_digest(tmp_path / "c")

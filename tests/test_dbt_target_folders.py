"""dbt's per-invocation target folders do not pile up: the dbt asset keeps the newest ones."""

import os
from pathlib import Path

from orchestration.defs.dbt.assets import KEPT_INVOCATION_FOLDERS, prune_invocation_folders
from orchestration.settings import DBT_PROJECT_DIR


def _folder(parent: Path, name: str, age_hours: int) -> Path:
    folder = parent / name
    (folder / "compiled").mkdir(parents=True)
    (folder / "run_results.json").write_text("{}")
    stamp = 1_800_000_000 - age_hours * 3600
    os.utime(folder, (stamp, stamp))
    return folder


def test_the_newest_invocation_folders_stay_and_nothing_else_is_touched(tmp_path: Path):
    older = [_folder(tmp_path, f"funnel_dbt_models-{age:07d}-abcdef{age % 10}", age) for age in range(1, 15)]
    current = _folder(tmp_path, "funnel_dbt_models-0000000-current", 99)  # the running one, whatever its time
    other = _folder(tmp_path, "some_other_asset-0000001-abcdef0", 500)
    (tmp_path / "partial_parse.msgpack").write_bytes(b"x")

    deleted = prune_invocation_folders(current, keep=5)

    assert sorted(deleted) == sorted(older[4:])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f.name for f in older[:4]] + [current.name, other.name, "partial_parse.msgpack"])


def test_after_the_demo_the_project_holds_at_most_the_kept_folders(demo):
    folders = list((DBT_PROJECT_DIR / "target").glob("funnel_dbt_models-*"))
    assert 1 <= len(folders) <= KEPT_INVOCATION_FOLDERS

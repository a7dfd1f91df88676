"""dbt's per-invocation target folders do not pile up: the dbt asset keeps the newest ones."""

import os
from pathlib import Path

from orchestration.defs.dbt.assets import KEPT_INVOCATION_FOLDERS, keep_partial_parse, prune_invocation_folders
from orchestration.defs.dbt.project import dbt_project
from orchestration.settings import DBT_PROJECT_DIR, dbt_target_dir


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
    folders = list(dbt_target_dir().glob("funnel_dbt_models-*"))
    assert 1 <= len(folders) <= KEPT_INVOCATION_FOLDERS


def test_the_next_invocation_starts_from_this_ones_parse(tmp_path: Path):
    stale = tmp_path / "partial_parse.msgpack"
    stale.write_bytes(b"parsed under another profile")
    current = _folder(tmp_path, "funnel_dbt_models-0000000-current", 0)
    (current / "partial_parse.msgpack").write_bytes(b"parsed by this build")

    assert keep_partial_parse(current)
    assert stale.read_bytes() == b"parsed by this build"
    assert sorted(p.name for p in tmp_path.iterdir()) == [current.name, "partial_parse.msgpack"]

    stopped = _folder(tmp_path, "funnel_dbt_models-0000001-stopped", 0)  # dbt stopped before parsing
    assert not keep_partial_parse(stopped)
    assert stale.read_bytes() == b"parsed by this build"


def test_after_the_demo_the_project_keeps_the_latest_parse(demo):
    parses = dbt_target_dir().glob("funnel_dbt_models-*/partial_parse.msgpack")
    newest = max(parses, key=lambda p: p.stat().st_mtime)
    kept = dbt_target_dir() / "partial_parse.msgpack"
    assert kept.read_bytes() == newest.read_bytes()


def test_the_target_folder_is_dbts_own_setting(monkeypatch, tmp_path: Path):
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    assert dbt_target_dir() == DBT_PROJECT_DIR / "target"
    monkeypatch.setenv("DBT_TARGET_PATH", "target/other")
    assert dbt_target_dir() == DBT_PROJECT_DIR / "target" / "other"
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path))
    assert dbt_target_dir() == tmp_path


def test_the_manifest_lies_in_the_folder_the_builds_use():
    # the session's value (each test worker has its own), read when the code location loaded
    assert dbt_project.manifest_path == dbt_target_dir() / "manifest.json"
    assert dbt_project.manifest_path.is_file()

"""dbt sends no usage events from the pipeline (dbt_project.yml's flags), unless asked to."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Home, dbt


def _events_sent(home: Home, target: Path, logs: Path) -> tuple[int, str]:
    done = dbt("ls", "--select", "dim_customer", "--log-path", str(logs), "--log-level-file", "debug",
               target=target, home=home)
    assert done.returncode == 0, done.stdout[-3000:]
    log = (logs / "dbt.log").read_text(encoding="utf-8")
    return log.count("Sending event"), log


def test_dbt_sends_no_usage_events(demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DBT_SEND_ANONYMOUS_USAGE_STATS", raising=False)
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)
    sent, log = _events_sent(demo.home, tmp_path / "target", tmp_path / "logs")
    assert sent == 0
    assert "'send_anonymous_usage_stats': 'False'" in log


def test_the_environment_can_turn_them_back_on(demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The project's flag is a default, as dbt's flags are: the setting and the test above are real."""
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)
    monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "true")
    sent, _ = _events_sent(demo.home, tmp_path / "target", tmp_path / "logs")
    assert sent > 0

"""Work a run's later steps need, done while an earlier step waits for a subprocess.

The run's steps execute one after another in one process (the in-process executor), and most of
a nightly run is the dbt step, whose process only waits for dbt's output meanwhile. A resource
that knows its step will need something slow that does not depend on the data (importing Great
Expectations: about 2.5 s) asks for it here when the run sets it up; the dbt step does it right
after starting dbt, as dbt starts up. It runs in the step's own thread, not a background one:
importing a package while another thread uses the modules it imports (SQLAlchemy, which Dagster's
event storage uses and GX imports) can leave those half-initialised, and the run fails.

A run with no step that waits leaves the work to the step that needs it (it imports its package
itself when it runs), so nothing depends on a preparation having run.
"""

from __future__ import annotations

from collections.abc import Callable

_PENDING: dict[str, Callable[[], object]] = {}


def prepare_while_waiting(name: str, work: Callable[[], object]) -> None:
    """Ask for ``work`` to be done by the next step of this process that waits (once per name)."""
    _PENDING.setdefault(name, work)


def run_preparations() -> list[str]:
    """Do the pending work, in the caller's thread; returns a line for each piece. A piece that
    fails is reported in its line, not raised: the step waiting here has nothing to do with it,
    and the step that needs it meets the same failure itself, where it belongs."""
    lines = []
    while _PENDING:
        name, work = _PENDING.popitem()
        try:
            work()
        except Exception as error:  # noqa: BLE001 — reported; the step that needs it fails on its own
            lines.append(f"{name}: failed ({type(error).__name__}: {error}); left to the step that needs it")
        else:
            lines.append(name)
    return lines

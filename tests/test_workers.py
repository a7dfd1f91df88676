"""The worker pool shared by the steps of one process."""

import os
import signal
from concurrent.futures.process import BrokenProcessPool

import pytest

from orchestration.lib.workers import process_pool


def _pid() -> int:
    return os.getpid()


def test_a_pool_whose_worker_died_is_replaced_for_the_next_step():
    pool = process_pool(2)
    assert process_pool(2) is pool  # shared while it works
    victim = pool.submit(_pid).result()
    os.kill(victim, signal.SIGKILL)
    with pytest.raises(BrokenProcessPool):
        for _ in range(20):  # the executor notices the death on its next round of work
            pool.submit(_pid).result()
    fresh = process_pool(2)
    assert fresh is not pool
    assert fresh.submit(_pid).result() not in (os.getpid(), victim)

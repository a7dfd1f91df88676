"""The worker pool shared by the steps of one process."""

import os
import signal
import time
from concurrent.futures.process import BrokenProcessPool

import psutil
import pytest

from orchestration.lib.workers import process_pool, shut_down_pools


def _pid() -> int:
    return os.getpid()


def test_a_pool_whose_worker_died_is_replaced_for_the_next_step():
    pool = process_pool(2)
    assert process_pool(2) is pool  # shared while it works
    victim = pool.submit(_pid).result()
    os.kill(victim, signal.SIGKILL)
    # The executor's own thread notices the death, soon but not at once: on a busy machine the
    # surviving worker went on taking work for more than twenty submissions. Keep submitting for
    # up to a minute; a pool that never breaks fails the test.
    deadline = time.monotonic() + 60
    with pytest.raises(BrokenProcessPool):
        while time.monotonic() < deadline:
            pool.submit(_pid).result()
            time.sleep(0.01)
    fresh = process_pool(2)
    assert fresh is not pool
    assert fresh.submit(_pid).result() not in (os.getpid(), victim)


def test_shutting_down_the_pools_ends_their_workers_and_the_next_step_gets_new_ones():
    pool = process_pool(2)
    workers = {pool.submit(_pid).result() for _ in range(8)}
    shut_down_pools()
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in workers)
    fresh = process_pool(2)
    assert fresh is not pool and fresh.submit(_pid).result() not in workers
    shut_down_pools()

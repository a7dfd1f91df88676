"""Worker processes shared by the steps of one run: parsing deliveries ahead of the warehouse
writer, validating the Great Expectations suites side by side."""

from __future__ import annotations

import atexit
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

_POOLS: dict[int, ProcessPoolExecutor] = {}


def workers_from_env(variable: str) -> int:
    """Worker processes named by ``variable``, default one per CPU; 0 or 1 means work inline."""
    return int(os.environ.get(variable, os.cpu_count() or 1))


def process_pool(workers: int) -> ProcessPoolExecutor:
    """One pool of ``workers`` processes per process, started on first use and shared by every
    step of the run after it (starting workers costs a second or two of imports each)."""
    pool = _POOLS.get(workers)
    if pool is not None and pool._broken:  # set by ProcessPoolExecutor when a worker dies
        # A worker died (killed, out of memory) and the executor now refuses all work: the steps
        # after it in this process get a new pool instead of failing the same way.
        pool.shutdown(wait=False, cancel_futures=True)
        pool = None
    if pool is None:
        # spawn, not fork: the parent holds DuckDB and Dagster threads that a fork would copy mid-flight.
        pool = _POOLS[workers] = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        atexit.register(pool.shutdown, cancel_futures=True)
    return pool


def shut_down_pools() -> None:
    """Stop the worker processes of every pool and wait for them to exit; a later step that
    wants workers starts a new pool. Workers keep the memory of what they last worked on."""
    while _POOLS:
        _, pool = _POOLS.popitem()
        pool.shutdown(wait=True, cancel_futures=True)

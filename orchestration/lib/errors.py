"""Errors raised while ingesting, phrased so an operator knows which file and what to do."""

from __future__ import annotations

from pathlib import Path


class MalformedFileError(Exception):
    """A whole file cannot be read; its asset fails and names the file and the problem."""

    def __init__(self, path: Path | str, problem: str, hint: str = "") -> None:
        self.path = str(path)
        self.problem = problem
        self.hint = hint
        message = f"{self.path}: {problem}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class RowError(Exception):
    """One record breaks the contract; it is quarantined with ``reason`` and the loader moves on."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        self.message = message
        super().__init__(f"{reason}: {message}")

"""Failures fraudwall can explain in one line, so that no person ever reads a traceback.

Every part raises these (or subclasses) for problems a user can act on; the command line
prints the message and exits with the class's code (`fraudwall.cli.main`). Anything else
that escapes is a bug, and is reported as one.

* `InputError` (exit 2): a file, table, field or option given to fraudwall is wrong.
* `RunError` (exit 1): the input was fine, but the run could not be completed (a store held
  by another run, a disk that is full, a memory estimate that does not fit).

Both name *where* the problem is (a file, table, field or option), *what* it is, and,
when there is one, what to do about it.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = ["FraudwallError", "InputError", "RunError"]


class FraudwallError(Exception):
    """A failure with a place, a problem and an optional hint, worded for a person."""

    exit_code: ClassVar[int] = 1

    def __init__(self, where: str, problem: str, *, hint: str = "") -> None:
        self.where = where
        self.problem = problem
        self.hint = hint
        text = f"{where}: {problem}" if where else problem
        super().__init__(f"{text} ({hint})" if hint else text)


class InputError(FraudwallError, ValueError):
    """Something the user gave is wrong: fix the input and run again."""

    exit_code: ClassVar[int] = 2


class RunError(FraudwallError, RuntimeError):
    """The input was right but the run could not be completed."""

    exit_code: ClassVar[int] = 1

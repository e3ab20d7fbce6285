"""The command line's one error boundary: every failure ends as one line and an exit code.

`GuardedGroup` is the top command group. A failure fraudwall knows (`FraudwallError` and
its kinds, a path that cannot be read or written, a damaged file, a store that cannot be
opened) is printed as ``error: WHERE: PROBLEM`` with exit code 2 for bad input and 1 for a
run that could not be completed. Anything else is a bug and says so. ``--debug``, anywhere
on the command line (or ``FRAUDWALL_DEBUG=1``), lets the traceback through instead.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from fraudwall.errors import FraudwallError, InputError

DEBUG_FLAG = "--debug"

BAD_INPUT = 2
FAILED_RUN = 1

_PATH_ERRORS = (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError)


def _first_line(text: object) -> str:
    lines = str(text).strip().splitlines()
    return lines[0] if lines else ""


def explain(exc: BaseException) -> tuple[str, int]:
    """The one-line message and exit code for a failure that reached the command line."""
    if isinstance(exc, FraudwallError):
        return str(exc), exc.exit_code
    if isinstance(exc, _PATH_ERRORS):
        where = exc.filename if exc.filename is not None else ""
        return f"{where}: {exc.strerror or exc}" if where else str(exc), BAD_INPUT
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename is not None else ""
        return f"{where}{exc.strerror or _first_line(exc)}", FAILED_RUN
    if isinstance(exc, MemoryError):
        return "out of memory: try a smaller world (--people, --days)", FAILED_RUN
    arrow = sys.modules.get("pyarrow")
    if arrow is not None and isinstance(exc, arrow.ArrowException):
        return f"damaged or unreadable data: {_first_line(exc)}", BAD_INPUT
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.SQLAlchemyError):
        cause = getattr(exc, "orig", None) or exc
        return f"the store: {_first_line(cause)}", FAILED_RUN
    problem = _first_line(exc)
    return (
        f"internal error ({type(exc).__name__}{': ' + problem if problem else ''}); "
        f"this is a bug in fraudwall: run again with {DEBUG_FLAG} and report the traceback",
        FAILED_RUN,
    )


@contextlib.contextmanager
def reported_as(option: str) -> Iterator[None]:
    """What `option` names could not be used: the failure is bad input, reported under the
    option's name (``--model: m.json: sha256: ...``); a bare ValueError or OSError from
    reading it too."""
    try:
        yield
    except InputError as exc:
        where = f"{option}: {exc.where}" if option and exc.where else option or exc.where
        raise InputError(where, exc.problem, hint=exc.hint) from exc
    except (OSError, ValueError) as exc:
        raise InputError(option, str(exc)) from exc


class GuardedGroup(TyperGroup):
    """A Typer group whose commands never let a traceback reach the person using them."""

    debug = False

    def main(self, args: Sequence[str] | None = None, *pos: Any, **kwargs: Any) -> Any:
        given = list(sys.argv[1:] if args is None else args)
        self.debug = DEBUG_FLAG in given or os.environ.get("FRAUDWALL_DEBUG", "") not in ("", "0")
        return super().main([a for a in given if a != DEBUG_FLAG], *pos, **kwargs)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # exits, and usage errors that click shows with the usage line
        except Exception as exc:
            if self.debug:
                raise
            message, code = explain(exc)
            Console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False)
            raise typer.Exit(code) from None

"""The command line's error boundary: a person sees one line and an exit code, never a
traceback, unless they ask for it with --debug."""

from __future__ import annotations

import errno

import pytest
import typer
from typer.testing import CliRunner

from fraudwall.cli.boundary import GuardedGroup, explain
from fraudwall.errors import InputError, RunError

runner = CliRunner()


def _app(failure: BaseException) -> typer.Typer:
    app = typer.Typer(cls=GuardedGroup, pretty_exceptions_enable=False)

    @app.command()
    def work(times: int = 1) -> None:
        raise failure

    @app.command()
    def fine() -> None:
        typer.echo("done")

    return app


@pytest.mark.parametrize(
    ("failure", "code", "line"),
    [
        (InputError("--world", "no manifest.json", hint="run fraudwall simulate"), 2,
         "error: --world: no manifest.json (run fraudwall simulate)"),
        (RunError("out/funds.sqlite", "held by another run"), 1,
         "error: out/funds.sqlite: held by another run"),
        (FileNotFoundError(errno.ENOENT, "No such file or directory", "a.parquet"), 2,
         "error: a.parquet: No such file or directory"),
        (OSError(errno.ENOSPC, "No space left on device", "out/x"), 1,
         "error: out/x: No space left on device"),
    ],
)  # fmt: skip
def test_known_failures_are_one_line_with_their_exit_code(
    failure: Exception, code: int, line: str
) -> None:
    result = runner.invoke(_app(failure), ["work"])
    assert result.exit_code == code
    assert result.output.strip() == line
    assert "Traceback" not in result.output


def test_a_bug_says_it_is_one_and_how_to_see_the_traceback() -> None:
    result = runner.invoke(_app(ZeroDivisionError("division by zero")), ["work"])
    assert result.exit_code == 1
    assert "internal error (ZeroDivisionError: division by zero)" in result.output
    assert "--debug" in result.output
    assert "Traceback" not in result.output


DEBUG_PLACES = [["--debug", "work"], ["work", "--debug"], ["work", "--times", "2", "--debug"]]


@pytest.mark.parametrize("args", DEBUG_PLACES)
def test_debug_anywhere_on_the_line_lets_the_traceback_through(args: list[str]) -> None:
    result = runner.invoke(_app(ZeroDivisionError("division by zero")), args)
    assert isinstance(result.exception, ZeroDivisionError)


def test_usage_errors_and_success_are_left_to_click() -> None:
    app = _app(InputError("x", "y"))
    assert runner.invoke(app, ["fine"]).output == "done\n"
    bad = runner.invoke(app, ["work", "--times", "many"])
    assert bad.exit_code == 2
    assert "Usage:" in bad.output and "Traceback" not in bad.output


def test_damaged_data_and_store_errors_are_named_not_dumped() -> None:
    import pyarrow as pa
    import sqlalchemy.exc

    message, code = explain(pa.ArrowInvalid("ZSTD decompression failed\nmore detail"))
    assert (message, code) == ("damaged or unreadable data: ZSTD decompression failed", 2)
    db = sqlalchemy.exc.DatabaseError("SELECT 1", {}, Exception("file is not a database"))
    assert explain(db) == ("the store: file is not a database", 1)


def test_the_fraudwall_command_uses_the_boundary(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fraudwall.cli.main import app

    result = runner.invoke(app, ["replay", str(tmp_path / "nowhere"), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert str(tmp_path / "nowhere") in result.output

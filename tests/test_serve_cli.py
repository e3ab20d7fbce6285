"""`fraudwall serve` refuses what it cannot do in one line, before it starts."""

from __future__ import annotations

import socket
from pathlib import Path

from typer.testing import CliRunner

from fraudwall.cli.main import app


def test_a_port_in_use_is_one_line_naming_the_option(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = CliRunner().invoke(app, ["serve", "--data", str(tmp_path), "--port", str(port)])
    assert done.exit_code == 2, done.output
    assert f"error: --port: cannot listen on 127.0.0.1:{port}" in " ".join(done.output.split())
    assert "Traceback" not in done.output


def test_an_unsupported_database_is_refused(tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["serve", "--data", str(tmp_path), "--db", "mysql://x/y"])
    assert done.exit_code == 2
    assert "error: --db: mysql is not supported" in done.output

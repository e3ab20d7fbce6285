"""A fresh PostgreSQL database per test, for the tests marked `postgres`.

On a machine without a server at 127.0.0.1:5432 those tests skip with the reason; in CI
(CI=true, where `.ci/run` starts the server) they fail instead.
"""

from __future__ import annotations

import os
import threading

import pytest

ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def fresh_postgres_url(prefix: str = "fraudwall_test") -> str:
    """A new empty database's SQLAlchemy URL, or a skip (a failure in CI) saying why."""
    reason = ""
    try:
        import psycopg

        with psycopg.connect(ADMIN_DSN, connect_timeout=3) as conn:
            conn.autocommit = True
            name = f"{prefix}_{os.getpid()}_{threading.get_ident()}"
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    except ImportError:
        reason = "psycopg is not installed"
    except Exception as exc:  # the server does not answer
        reason = f"no PostgreSQL at 127.0.0.1:5432 ({type(exc).__name__}: {exc})"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def drop_postgres(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN_DSN) as conn:
        conn.autocommit = True
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

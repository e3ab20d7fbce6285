"""A fresh PostgreSQL database per test, for the tests marked `postgres`.

On a machine without a server at 127.0.0.1:5432 those tests skip with the reason; in CI
(CI=true, where `.ci/run` starts the server) they fail instead.
"""

from __future__ import annotations

import atexit
import os
import threading

import pytest

ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{}"
_migrated_template: list[str] = []  # made once per test run: the service's schema at its head


def fresh_postgres_url(prefix: str = "fraudwall_test", *, migrated: bool = False) -> str:
    """A new database's SQLAlchemy URL — empty, or with `migrated` the service's schema at
    its newest revision (copied from a template migrated once per run: creating the
    tables anew for every test costs seconds each) — or a skip (a failure in CI) saying
    why."""
    reason = ""
    try:
        import psycopg

        template = _template() if migrated else None
        with psycopg.connect(ADMIN_DSN, connect_timeout=3) as conn:
            conn.autocommit = True
            name = f"{prefix}_{os.getpid()}_{threading.get_ident()}"
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            copy = f" TEMPLATE {template}" if template else ""
            conn.execute(f"CREATE DATABASE {name}{copy}")
        return _URL.format(name)
    except ImportError:
        reason = "psycopg is not installed"
    except Exception as exc:  # the server does not answer
        reason = f"no PostgreSQL at 127.0.0.1:5432 ({type(exc).__name__}: {exc})"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _template() -> str:
    if not _migrated_template:
        import psycopg

        from fraudwall.platform.migrate import upgrade

        name = f"fraudwall_template_{os.getpid()}"
        with psycopg.connect(ADMIN_DSN, connect_timeout=3) as conn:
            conn.autocommit = True
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
        upgrade(_URL.format(name))
        atexit.register(drop_postgres, _URL.format(name))
        _migrated_template.append(name)
    return _migrated_template[0]


def drop_postgres(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN_DSN) as conn:
        conn.autocommit = True
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

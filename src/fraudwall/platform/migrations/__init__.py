"""The service database's Alembic migrations: `env.py`, `script.py.mako` and `versions/`.

Run them through `fraudwall.platform.migrate` (`fraudwall db upgrade`), which builds
Alembic's configuration in code: no ``alembic.ini`` is needed.
"""

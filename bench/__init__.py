"""fraudwall's benchmarks, apart from the tests (DESIGN §9).

Each module `bench/<name>.py` exposes `run() -> dict` returning its figures (and, where a
peer exists, the peer's figure from the same run and the ratio). `python -m bench` runs
them all and writes `bench/results.json`; `python -m bench NAME ...` runs only those.
"""

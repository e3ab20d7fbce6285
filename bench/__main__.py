"""Run every benchmark in bench/ and record the figures with the machine they came from.

Usage: `python -m bench [NAME ...]` (or `make bench`). Each benchmark's dict is printed as
JSON as soon as it finishes; all of them, with the machine's description and the command,
go to bench/results.json, which BENCHMARKS.md quotes.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"


def discover() -> list[str]:
    """Names of the benchmark modules in bench/ (every module not starting with '_')."""
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if not m.name.startswith("_"))


def machine() -> dict[str, Any]:
    """What the figures depend on: the platform, the Python and the cores available."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 0
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
    }


def run_one(name: str) -> dict[str, Any]:
    """Import bench.<name>, call its run(), add the wall time; an error becomes the result."""
    t0 = time.perf_counter()
    try:
        module = importlib.import_module(f"bench.{name}")
        result = module.run()
        if not isinstance(result, dict):
            raise TypeError(f"bench.{name}.run() returned {type(result).__name__}, not dict")
    except Exception as exc:  # record it, run the others, fail at the end
        traceback.print_exc()
        result = {"error": f"{type(exc).__name__}: {exc}"}
    result["wall_s"] = round(time.perf_counter() - t0, 3)
    return result


def main(argv: list[str]) -> int:
    """Run the named benchmarks (all when none is named); write results.json."""
    available = discover()
    names = argv or available
    unknown = sorted(set(names) - set(available))
    if unknown:
        print(f"unknown benchmark(s) {unknown}; available: {available}", file=sys.stderr)
        return 2
    ran: dict[str, dict[str, Any]] = {}
    for name in names:
        print(f"== bench.{name}", file=sys.stderr, flush=True)
        ran[name] = {**run_one(name), "date": datetime.now(UTC).isoformat(timespec="seconds")}
        print(json.dumps({name: ran[name]}, ensure_ascii=False), flush=True)
    results = ran
    if argv and RESULTS.exists():  # a partial run keeps the other benchmarks' last figures
        previous = json.loads(RESULTS.read_text(encoding="utf-8")).get("results", {})
        results = {**{k: v for k, v in previous.items() if k in available}, **ran}
    doc = {
        "command": " ".join(["python -m bench", *argv]),
        "machine": machine(),
        "results": results,
    }
    tmp = RESULTS.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(RESULTS)
    print(f"wrote {RESULTS}", file=sys.stderr)
    return 1 if any("error" in r for r in ran.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

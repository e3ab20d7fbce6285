"""How much memory simulating a world takes, and whether this machine has it to give.

A world is built in memory before it is written, so a size that does not fit would run
for minutes and then be killed (`--people 1000000000` took 8.9 GB in 20 s). The
estimate is a linear fit of the peak resident memory of `simulate` + `write_world`
(`resource.getrusage` ru_maxrss, one fresh process per size) on 14 worlds of 300 to
200,000 people, 3 to 120 days, activity 0.25 to 2 and fraud rate 60 to 2,000:

    peak ≈ 130 MB + 1.4 kB a person + 1.2 kB a person-day (× activity) + 0.42 MB a case

within ±9 % of every measured peak (e.g. 20,000 people x 30 days: 893 MB measured; 40,000
x 60 days: 3,175 MB; 200,000 x 3 days: 1,224 MB).
"""

from __future__ import annotations

import os
from pathlib import Path

from fraudwall.errors import RunError
from fraudwall.sim.config import SimConfig

__all__ = ["available_memory_bytes", "check_memory", "estimate_peak_bytes"]

MB = 1 << 20
BASE_BYTES = 130 * MB
PER_PERSON_BYTES = 1_400
PER_PERSON_DAY_BYTES = 1_200
PER_CASE_BYTES = 420_000


def estimate_peak_bytes(config: SimConfig) -> int:
    """The peak memory simulating and writing this world should take (see the fit above)."""
    person_days = config.people * config.days * config.activity
    return int(
        BASE_BYTES
        + PER_PERSON_BYTES * config.people
        + PER_PERSON_DAY_BYTES * person_days
        + PER_CASE_BYTES * config.expected_cases()
    )


def _meminfo_available(meminfo: Path) -> int | None:
    try:
        lines = meminfo.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return None


def _cgroup_room(cgroup: Path) -> int | None:
    """What a container's memory limit still allows (cgroup v2, then v1), if it has one."""
    for limit_file, usage_file in (
        ("memory.max", "memory.current"),
        ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes"),
    ):
        try:
            limit = (cgroup / limit_file).read_text().strip()
            usage = (cgroup / usage_file).read_text().strip()
        except OSError:
            continue
        if limit.isdigit() and usage.isdigit() and int(limit) < 1 << 60:
            return max(0, int(limit) - int(usage))
    return None


def available_memory_bytes(
    meminfo: Path = Path("/proc/meminfo"), cgroup: Path = Path("/sys/fs/cgroup")
) -> int | None:
    """Memory this process can still take: the smaller of the machine's MemAvailable and
    a container's remaining limit; None when the system does not say."""
    found = [n for n in (_meminfo_available(meminfo), _cgroup_room(cgroup)) if n is not None]
    if not found:
        try:
            found = [os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")]
        except (AttributeError, ValueError, OSError):
            return None
    return min(found)


def _size(n: float) -> str:
    return f"{n / (1 << 30):,.1f} GB" if n >= 1 << 30 else f"{n / MB:,.0f} MB"


def check_memory(config: SimConfig, available: int | None = None) -> int:
    """Refuse (RunError) a world whose estimated peak memory exceeds what is available,
    before any of it is built. Returns the estimate."""
    need = estimate_peak_bytes(config)
    room = available_memory_bytes() if available is None else available
    if room is not None and need > room:
        raise RunError(
            "--people/--days",
            f"a world of {config.people:,} people over {config.days} days needs about "
            f"{_size(need)} of memory; {_size(room)} is available",
            hint="a smaller --people or --days, or --force to try anyway",
        )
    return need

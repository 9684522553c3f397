"""What machine and code a benchmark ran on, how fast and busy it is now, and how much memory a
process peaked at."""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import time
from pathlib import Path


def peak_mb() -> float:
    """This process's peak RSS. VmHWM, because ru_maxrss survives exec: a child would report
    the benchmark's own peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def revision() -> str:
    done = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True)
    return done.stdout.decode().strip() or "unknown"


def machine() -> str:
    cpu = platform.processor()
    info = Path("/proc/cpuinfo")
    if not cpu and info.exists():
        models = [ln for ln in info.read_text().splitlines() if ln.startswith("model name")]
        cpu = models[0].split(":", 1)[1].strip() if models else ""
    return f"{cpu or platform.machine()} ({platform.machine()}), {os.cpu_count()} cores"


def calibrate() -> str:
    """How fast this machine runs Python now (it varies: a shared, virtual machine)."""
    start, total = time.perf_counter(), 0
    for n in range(10_000_000):
        total += n
    return f"10M Python additions in {time.perf_counter() - start:.2f} s"


def neighbours() -> str:
    """What else is running on the machine: the load, and other test runs seen."""
    mine = os.getpid()
    found = 0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        found += int(proc.name) != mine and b"pytest" in cmd
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"load average {load}; pytest processes running: {found}"

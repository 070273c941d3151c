"""What a result was measured on: the machine, the load on it, the versions of the contenders."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PACKAGES = ("faust-streaming", "aiokafka", "chdb-core", "orjson")


@dataclass(frozen=True)
class Machine:
    cores: int
    memory_gib: float
    cpu_model: str
    load_average: tuple[float, float, float]
    versions: dict[str, str]

    def describe(self) -> str:
        load = ", ".join(f"{x:.2f}" for x in self.load_average)
        return (
            f"{self.cores} cores ({self.cpu_model}), {self.memory_gib:.0f} GiB memory; "
            f"load average at start {load}"
        )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    return pages * size / 2**30


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def peer_version(python: Path | None) -> str:
    """quixstreams' version in the peer's environment."""
    if python is None:
        return "not installed"
    code = "import importlib.metadata as m; print(m.version('quixstreams'))"
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "not installed"


def machine(peer_python: Path | None, broker: str) -> Machine:
    versions = {"python": platform.python_version()}
    versions |= {name: _version(name) for name in PACKAGES}
    versions["quixstreams"] = peer_version(peer_python)
    versions["broker"] = broker
    return Machine(
        cores=os.cpu_count() or 0,
        memory_gib=_memory_gib(),
        cpu_model=_cpu_model(),
        load_average=os.getloadavg(),
        versions=versions,
    )

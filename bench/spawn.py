"""Runner processes: one per contender, so CPU time and peak RSS are that runner's own.

A runner prints one RunnerResult line on stdout; its other output goes to a log file in
the run's work directory. Pipeline workers first print READY and wait for GO on stdin
(bench.worker.barrier), so the harness can start several of them together.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO

from bench.measure import GO, READY, RESULT_PREFIX, RunnerResult
from core.settings import KefuSettings

REPO = Path(__file__).resolve().parents[1]


class RunnerFailed(RuntimeError):
    """A runner exited without its result line; the message names its log."""


def runner_env(workdir: Path) -> dict[str, str]:
    """This environment without KEFU_* (and an empty config file): defaults in code only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    empty = workdir / "empty.toml"
    empty.touch()
    env["KEFU_CONFIG"] = str(empty)
    env["PYTHONPATH"] = str(REPO)
    return env


def worker_env(settings: KefuSettings, home: Path, web_port: int) -> dict[str, str]:
    """What points a `kefu run` process at these settings' broker, store and names."""
    return {
        "KEFU_KAFKA_BOOTSTRAP": str(settings.kafka_bootstrap),
        "KEFU_CLICKHOUSE_URL": str(settings.clickhouse_url),
        "KEFU_HOME": str(home),
        "KEFU_APP_ID": settings.app_id,
        "KEFU_TOPIC_PREFIX": settings.topic_prefix,
        "KEFU_WEB_PORT": str(web_port),
    }


class Runner:
    """One runner process: `python -m module args`, stdout piped, stderr to `log`."""

    def __init__(
        self,
        module: str,
        args: list[str],
        workdir: Path,
        python: Path | None = None,
        wrap: list[str] | None = None,
    ) -> None:
        self.name = module.rsplit(".", 1)[-1]
        self.log = workdir / f"{self.name}-{os.getpid()}-{id(self):x}.log"
        self._log_handle: IO[bytes] = self.log.open("wb")
        cmd = [*(wrap or []), str(python or sys.executable), "-m", module, *args]
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log_handle,
            cwd=workdir,
            env=runner_env(workdir),
            text=True,
        )

    def wait_ready(self) -> None:
        self.expect(READY)

    def expect(self, word: str) -> None:
        line = self._line().strip()
        if line != word:
            self._fail(f"said {line!r} instead of {word}")

    def go(self) -> None:
        self._write(GO + "\n")

    def close_stdin(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()

    def tell(self, line: str) -> None:
        self._write(line + "\n")

    def result(self, timeout: float = 900.0) -> RunnerResult:
        """Read lines until the result line, then wait for the process to end."""
        while True:
            line = self._line()
            if line.startswith(RESULT_PREFIX):
                break
        try:
            self.proc.wait(timeout=timeout)
        finally:
            self._log_handle.close()
        return RunnerResult.parse(line.strip())

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def _line(self) -> str:
        """The runner's next line of its own (py-spy, wrapping it, prints a banner too)."""
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                self.proc.wait()
                self._fail(f"exited with code {self.proc.returncode}")
            if line.strip() and not line.startswith("py-spy>"):
                return line

    def _write(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def _fail(self, what: str) -> None:
        tail = self.log.read_text(errors="replace").splitlines()[-15:]
        msg = f"runner {self.name} {what}; log {self.log}:\n" + "\n".join(tail)
        raise RunnerFailed(msg)


def run_once(
    module: str, args: list[str], workdir: Path, python: Path | None = None
) -> RunnerResult:
    """Start a runner that needs no barrier and return its result."""
    runner = Runner(module, args, workdir, python)
    try:
        runner.close_stdin()
        return runner.result()
    finally:
        runner.kill()

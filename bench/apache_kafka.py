"""A real single-node Apache Kafka (KRaft) resolved from Maven Central, for tests and benchmarks."""

from __future__ import annotations

import atexit
import fcntl
import logging
import shutil
import subprocess
import tempfile
import time
from collections import deque
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from core.errors import ServiceUnavailable
from pipeline.embedded_broker import HOST, free_port, spawn, stop_process, wait_until_ready

log = logging.getLogger(__name__)

KAFKA_VERSION = "4.4.0"
LOG4J_VERSION = "2.25.5"  # the log4j-core version kafka_2.13 4.4.0 pulls in
DEFAULT_CACHE_DIR = Path(__file__).resolve().parents[1] / ".cache" / "kafka"
MARKER = ".resolved"
MAVEN_TIMEOUT = 600.0
TOOL_TIMEOUT = 60.0

_POM = f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.kefu</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>{KAFKA_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>{LOG4J_VERSION}</version>
      <scope>runtime</scope>
    </dependency>
  </dependencies>
</project>
"""

_LOG4J2 = """status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.out.ref = OUT
"""


def java_available() -> bool:
    """Tell whether both `java` and `mvn` are on PATH."""
    return shutil.which("java") is not None and shutil.which("mvn") is not None


def _tail(path: Path, lines: int = 20) -> str:
    try:
        with path.open(errors="replace") as handle:
            return "".join(deque(handle, maxlen=lines))
    except OSError:
        return ""


def _run(cmd: list[str], what: str, timeout: float, cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(
            cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError as exc:
        msg = f"{what} failed because {cmd[0]!r} is not on PATH."
        raise ServiceUnavailable(msg) from exc
    except subprocess.TimeoutExpired as exc:
        msg = f"{what} did not finish within {timeout:.0f} s."
        raise ServiceUnavailable(msg) from exc
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        msg = f"{what} failed with code {done.returncode}: {' | '.join(detail)}"
        raise ServiceUnavailable(msg)
    return done.stdout


def resolve_jars(cache_dir: Path = DEFAULT_CACHE_DIR) -> Path:
    """Return a folder with the Kafka runtime jars, resolving them with Maven once per cache.

    Test processes running side by side share the cache: one resolves, the others wait.
    """
    jars = cache_dir / f"kafka_2.13-{KAFKA_VERSION}"
    if (jars / MARKER).is_file():
        return jars
    if shutil.which("mvn") is None:
        msg = "Maven ('mvn') is not on PATH, so the Apache Kafka jars cannot be resolved."
        raise ServiceUnavailable(msg)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with (cache_dir / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (jars / MARKER).is_file():
            return jars
        return _resolve(cache_dir, jars)


def _resolve(cache_dir: Path, jars: Path) -> Path:
    shutil.rmtree(jars, ignore_errors=True)
    pom = cache_dir / "pom.xml"
    pom.write_text(_POM)
    started = time.monotonic()
    log.info("resolving Apache Kafka %s jars with Maven into %s", KAFKA_VERSION, jars)
    cmd = ["mvn", "-q", "-B", "-f", str(pom), "dependency:copy-dependencies"]
    cmd += [f"-DoutputDirectory={jars}", "-DincludeScope=runtime"]
    cmd += [f"-Dmaven.repo.local={cache_dir / 'm2'}"]
    _run(cmd, "Resolving the Apache Kafka jars with Maven", MAVEN_TIMEOUT, cwd=cache_dir)
    if not any(jars.glob("kafka_2.13-*.jar")):
        msg = f"Maven finished but {jars} holds no kafka_2.13 jar."
        raise ServiceUnavailable(msg)
    (jars / MARKER).write_text(f"kafka_2.13 {KAFKA_VERSION}\n")
    log.info("resolved Kafka jars in %.1f s", time.monotonic() - started)
    return jars


def server_properties(data_dir: Path, port: int, controller_port: int) -> str:
    """Render a single-node combined broker+controller config on loopback."""
    return f"""process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers={HOST}:{controller_port}
listeners=PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller_port}
advertised.listeners=PLAINTEXT://{HOST}:{port}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs={data_dir / "logs"}
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
"""


class ApacheKafka:
    """An Apache Kafka child JVM (KRaft, one node) in a temporary data dir removed on stop."""

    def __init__(
        self,
        cache_dir: Path = DEFAULT_CACHE_DIR,
        port: int | None = None,
        ready_timeout: float = 60.0,
        stop_timeout: float = 10.0,
        heap: str = "512m",
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.port = port
        self.ready_timeout = ready_timeout
        self.stop_timeout = stop_timeout
        self.heap = heap
        self.data_dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_handle: IO[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        """The `host:port` clients connect to; only valid once started."""
        if self.port is None or self._proc is None:
            msg = "the Apache Kafka broker is not running."
            raise ServiceUnavailable(msg)
        return f"{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        """Tell whether the JVM is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Resolve jars, format storage, launch the JVM and wait until it answers metadata."""
        if self._proc is not None:
            return
        if shutil.which("java") is None:
            msg = "Java ('java') is not on PATH, so Apache Kafka cannot run."
            raise ServiceUnavailable(msg)
        started = time.monotonic()
        classpath = f"{resolve_jars(self.cache_dir)}/*"
        self.data_dir = Path(tempfile.mkdtemp(prefix="kefu-kafka-"))
        atexit.register(self.stop)
        try:
            self._launch(classpath)
        except BaseException:
            self.stop()
            raise
        log.info("Apache Kafka ready on %s in %.1f s", self.bootstrap, time.monotonic() - started)

    def _launch(self, classpath: str) -> None:
        assert self.data_dir is not None
        port = self.port if self.port is not None else free_port()
        controller_port = free_port()
        props = self.data_dir / "server.properties"
        props.write_text(server_properties(self.data_dir, port, controller_port))
        log4j = self.data_dir / "log4j2.properties"
        log4j.write_text(_LOG4J2)
        tool = ["java", "-cp", classpath, "kafka.tools.StorageTool"]
        cluster_id = _run([*tool, "random-uuid"], "Kafka StorageTool random-uuid", TOOL_TIMEOUT)
        fmt = [*tool, "format", "-t", cluster_id.strip(), "-c", str(props), "--standalone"]
        _run(fmt, "Formatting the Kafka storage", TOOL_TIMEOUT)
        log_file = self.data_dir / "kafka.log"
        self._log_handle = log_file.open("ab")
        cmd = ["java", f"-Xmx{self.heap}", f"-Dlog4j2.configurationFile={log4j}"]
        cmd += ["-cp", classpath, "kafka.Kafka", str(props)]
        log.info("starting Apache Kafka on %s:%s (data %s)", HOST, port, self.data_dir)
        self._proc = spawn(cmd, self._log_handle)
        self.port = port
        try:
            wait_until_ready(self._proc, "Apache Kafka", port, self.ready_timeout, log_file)
        except ServiceUnavailable:
            log.error("Apache Kafka log tail:\n%s", _tail(log_file))
            raise

    def stop(self) -> None:
        """Stop the JVM (SIGTERM, then SIGKILL) and delete the data dir; idempotent."""
        atexit.unregister(self.stop)
        proc, self._proc = self._proc, None
        if proc is not None:
            code = stop_process(proc, "Apache Kafka", self.stop_timeout)
            log.info("Apache Kafka (pid %s) stopped with code %s", proc.pid, code)
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None

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

"""Real programs and receivers for the alarm tests: a webhook receiver that checks each
robot's signature scheme, and Debian's Prometheus and Alertmanager on free loopback ports.

Import the fixtures into a test module. Without the binaries the tests skip with a reason,
unless KEFU_REQUIRE_KAFKA=1 (CI), which turns that into a failure.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from pipeline.embedded_broker import free_port, spawn

REQUIRE_ENV = "KEFU_REQUIRE_KAFKA"
DINGTALK_SECRET = "SECdingtalk-test-secret"
FEISHU_SECRET = "feishu-test-secret"
RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "rules.yml"


def require_binary(*names: str) -> list[str]:
    paths = [shutil.which(name) for name in names]
    missing = [n for n, p in zip(names, paths, strict=True) if p is None]
    if missing:
        reason = f"needs {', '.join(missing)} (apt-get install prometheus prometheus-alertmanager)"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{reason} ({REQUIRE_ENV}=1)")
        pytest.skip(reason)
    return [p for p in paths if p is not None]


@dataclass
class Received:
    path: str
    query: dict[str, str]
    body: Any
    at: float
    valid: bool


@dataclass
class Receiver:
    """Answers like each vendor does, and records what came with whether its signature held."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    down: bool = False  # answer 503 to everything, like a receiver under maintenance
    refused: int = 0  # requests answered 503 while down
    _runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/{kind}", self._handle)
        app.router.add_post("/am/{kind}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        if not self.port:
            self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                paths = [r.path for r in self.received]
                raise AssertionError(f"receiver waited {timeout}s; got {paths}")
            await asyncio.sleep(0.05)

    async def _handle(self, request: web.Request) -> web.Response:
        if self.down:
            self.refused += 1
            return web.Response(status=503, text="down for maintenance")
        raw = await request.read()
        body = json.loads(raw) if raw else None
        kind = request.match_info["kind"]
        query = dict(request.query)
        valid, answer = _check(kind, query, body)
        self.received.append(Received(request.path, query, body, time.time(), valid))
        if isinstance(answer, str):
            return web.Response(text=answer)
        return web.json_response(answer)


def _check(kind: str, query: dict[str, str], body: Any) -> tuple[bool, Any]:
    """Verify the scheme independently of the code under test; answer as the vendor would."""
    if kind == "dingtalk":
        timestamp = query.get("timestamp", "0")
        key = DINGTALK_SECRET.encode()
        expected = base64.b64encode(
            hmac.new(key, f"{timestamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256).digest()
        ).decode()
        fresh = abs(time.time() * 1000 - int(timestamp)) < 3_600_000
        ok = fresh and query.get("sign") == expected and body["msgtype"] == "markdown"
        return ok, {"errcode": 0 if ok else 310000, "errmsg": "ok" if ok else "sign not match"}
    if kind == "feishu":
        timestamp = body.get("timestamp", "0")
        key = f"{timestamp}\n{FEISHU_SECRET}".encode()
        expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        ok = body.get("sign") == expected and abs(time.time() - int(timestamp)) < 3600
        return ok, {"code": 0 if ok else 19021, "msg": "success" if ok else "sign match fail"}
    if kind == "wecom":
        ok = body["msgtype"] == "markdown" and bool(body["markdown"]["content"])
        return ok, {"errcode": 0 if ok else 40008, "errmsg": "ok"}
    if kind == "slack":
        return isinstance(body.get("text"), str), "ok"
    return True, {}


def alert_delays(received: list[Received]) -> list[float]:
    """Seconds from each alert's evaluation (raised_at, wall clock) to its webhook request."""
    return [r.at - r.body["alert"]["raised_at"] / 1000 for r in received]


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {"n": 0}

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 4)

    return {"n": len(ordered), "p50": pick(0.5), "p99": pick(0.99), "max": round(ordered[-1], 4)}


@pytest_asyncio.fixture(loop_scope="session")
async def receiver() -> AsyncIterator[Receiver]:
    started = await Receiver().start()
    try:
        yield started
    finally:
        await started.stop()


@dataclass
class Program:
    name: str
    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def start_program(
    name: str, cmd: list[str], port: int, workdir: Path, timeout: float = 30.0
) -> Program:
    log = workdir / f"{name}.log"
    with log.open("wb") as handle:
        proc = spawn(cmd, handle)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as answer:
                if answer.status == 200:
                    return Program(name, proc, url, log)
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"{name} did not become ready: {log.read_text()[-2000:]}")
        time.sleep(0.2)


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return json.loads(answer.read())


@dataclass
class PromStack:
    """Prometheus scraping `target_port`, alerting into Alertmanager, which posts to `hook`."""

    prometheus: Program
    alertmanager: Program
    target_port: int
    hook: str

    def active_alerts(self) -> list[dict[str, Any]]:
        return list(get_json(f"{self.prometheus.url}/api/v1/alerts")["data"]["alerts"])


def fast_rules(source: Path, dest: Path) -> Path:
    """The project's rules with every `for:` cut to 1s, so a test sees them fire in seconds."""
    lines = [
        (line.split("for:")[0] + "for: 1s") if line.strip().startswith("for:") else line
        for line in source.read_text().splitlines()
    ]
    dest.write_text("\n".join(lines) + "\n")
    return dest


@pytest.fixture(scope="session")
def prom_stack(
    tmp_path_factory: pytest.TempPathFactory, session_receiver: Receiver
) -> Iterator[PromStack]:
    prometheus_bin, alertmanager_bin = require_binary("prometheus", "prometheus-alertmanager")
    work = tmp_path_factory.mktemp("prom")
    am_port, prom_port, target_port = free_port(), free_port(), free_port()
    hook = "/am/webhook"
    # JSON is YAML: both programs read these configs as written.
    (work / "alertmanager.yml").write_text(json.dumps({
        "route": {"receiver": "hook", "group_by": ["alertname", "shop"], "group_wait": "1s",
                  "group_interval": "1s", "repeat_interval": "1h"},
        "receivers": [{"name": "hook", "webhook_configs": [
            {"url": session_receiver.url(hook), "send_resolved": True}]}],
    }))  # fmt: skip
    rules = fast_rules(RULES, work / "rules.yml")
    (work / "prometheus.yml").write_text(json.dumps({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules)],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]},
        "scrape_configs": [{"job_name": "kefu", "static_configs": [
            {"targets": [f"127.0.0.1:{target_port}"]}]}],
    }))  # fmt: skip
    alertmanager = start_program("alertmanager", [
        alertmanager_bin, f"--config.file={work / 'alertmanager.yml'}",
        f"--storage.path={work / 'am-data'}", f"--web.listen-address=127.0.0.1:{am_port}",
        "--cluster.listen-address=",
    ], am_port, work)  # fmt: skip
    try:
        prometheus = start_program("prometheus", [
            prometheus_bin, f"--config.file={work / 'prometheus.yml'}",
            f"--storage.tsdb.path={work / 'tsdb'}", f"--web.listen-address=127.0.0.1:{prom_port}",
        ], prom_port, work)  # fmt: skip
    except BaseException:
        alertmanager.stop()
        raise
    try:
        yield PromStack(prometheus, alertmanager, target_port, hook)
    finally:
        prometheus.stop()
        alertmanager.stop()


@pytest.fixture(scope="session")
def session_receiver() -> Iterator[Receiver]:
    """A receiver on its own thread and loop: it outlives every test's event loop."""
    import threading

    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Receiver] = {}

    def serve() -> None:
        asyncio.set_event_loop(loop)
        holder["receiver"] = loop.run_until_complete(Receiver().start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, name="session-receiver", daemon=True)
    thread.start()
    ready.wait(10)
    started = holder["receiver"]
    try:
        yield started
    finally:
        asyncio.run_coroutine_threadsafe(started.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)

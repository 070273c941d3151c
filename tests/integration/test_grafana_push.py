"""`kefu grafana push` against a recording server that answers as Grafana's HTTP API documents.

The server keeps folders, data sources (by uid), dashboards (by uid, with versions)
and provisioned alert rules, and records every call. The first push creates each
object once; the second only reads; a dashboard edited in Grafana is put back.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from grafana import datasources
from grafana.boards import BOARDS
from pipeline import cli
from pipeline.commands import grafana as grafana_cli

TOKEN = "glsa_test_token"  # noqa: S105 - a fake credential for a fake server


@dataclass
class FakeGrafana:
    calls: list[tuple[str, str]] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    boards: dict[str, dict[str, Any]] = field(default_factory=dict)
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)

    def writes(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if c[0] != "GET"]

    @web.middleware
    async def record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.calls.append((request.method, request.path))
        self.bodies.append(await request.json() if request.can_read_body else None)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"message": "Unauthorized"}, status=401)
        response: web.StreamResponse = await handler(request)
        return response

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.record])
        app.router.add_get("/api/folders/{uid}", self.get_folder)
        app.router.add_post("/api/folders", self.create_folder)
        app.router.add_get("/api/datasources/uid/{uid}", self.get_source)
        app.router.add_post("/api/datasources", self.create_source)
        app.router.add_put("/api/datasources/uid/{uid}", self.update_source)
        app.router.add_get("/api/dashboards/uid/{uid}", self.get_board)
        app.router.add_post("/api/dashboards/db", self.save_board)
        app.router.add_get("/api/v1/provisioning/alert-rules/{uid}", self.get_rule)
        app.router.add_post("/api/v1/provisioning/alert-rules", self.create_rule)
        app.router.add_put("/api/v1/provisioning/alert-rules/{uid}", self.update_rule)
        return app

    async def get_folder(self, request: web.Request) -> web.Response:
        folder = self.folders.get(request.match_info["uid"])
        if folder is None:
            return web.json_response({"message": "folder not found"}, status=404)
        return web.json_response(folder)

    async def create_folder(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body["uid"] in self.folders:
            return web.json_response({"message": "a folder with the same uid exists"}, status=409)
        folder = {
            "id": len(self.folders) + 1,
            "uid": body["uid"],
            "title": body["title"],
            "version": 1,
        }
        self.folders[body["uid"]] = folder
        return web.json_response(folder)

    async def get_source(self, request: web.Request) -> web.Response:
        source = self.sources.get(request.match_info["uid"])
        if source is None:
            return web.json_response({"message": "Data source not found"}, status=404)
        return web.json_response(source)

    def _stored_source(self, body: dict[str, Any], number: int) -> dict[str, Any]:
        # Grafana stores secrets encrypted and answers only which ones are set.
        stored = {k: v for k, v in body.items() if k != "secureJsonData"}
        secrets = {k: True for k in body.get("secureJsonData", {})}
        return stored | {"id": number, "orgId": 1, "readOnly": False, "secureJsonFields": secrets}

    async def create_source(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body["uid"] in self.sources:
            return web.json_response(
                {"message": "data source with the same uid already exists"}, status=409
            )
        stored = self._stored_source(body, len(self.sources) + 1)
        self.sources[body["uid"]] = stored
        return web.json_response(
            {
                "datasource": stored,
                "id": stored["id"],
                "message": "Datasource added",
                "name": body["name"],
            }
        )

    async def update_source(self, request: web.Request) -> web.Response:
        uid = request.match_info["uid"]
        if uid not in self.sources:
            return web.json_response({"message": "Data source not found"}, status=404)
        stored = self._stored_source(await request.json(), self.sources[uid]["id"])
        self.sources[uid] = stored
        return web.json_response(
            {
                "datasource": stored,
                "id": stored["id"],
                "message": "Datasource updated",
                "name": stored["name"],
            }
        )

    async def get_board(self, request: web.Request) -> web.Response:
        board = self.boards.get(request.match_info["uid"])
        if board is None:
            return web.json_response({"message": "Dashboard not found"}, status=404)
        return web.json_response(board)

    async def save_board(self, request: web.Request) -> web.Response:
        body = await request.json()
        dashboard = body["dashboard"]
        uid = dashboard["uid"]
        previous = self.boards.get(uid)
        if previous is not None and not body.get("overwrite"):
            return web.json_response(
                {
                    "message": "The dashboard has been changed by someone else",
                    "status": "version-mismatch",
                },
                status=412,
            )
        version = previous["dashboard"]["version"] + 1 if previous else 1
        number = previous["dashboard"]["id"] if previous else len(self.boards) + 1
        stored = dashboard | {"id": number, "version": version}
        self.boards[uid] = {
            "dashboard": stored,
            "meta": {"folderUid": body.get("folderUid", ""), "slug": uid},
        }
        return web.json_response(
            {
                "id": number,
                "uid": uid,
                "url": f"/d/{uid}/{uid}",
                "status": "success",
                "version": version,
                "slug": uid,
            }
        )

    async def get_rule(self, request: web.Request) -> web.Response:
        rule = self.rules.get(request.match_info["uid"])
        if rule is None:
            return web.Response(status=404)  # Grafana answers this one with an empty body
        return web.json_response(rule)

    async def create_rule(self, request: web.Request) -> web.Response:
        body = await request.json()
        stored = body | {
            "id": len(self.rules) + 1,
            "updated": "2026-11-25T00:00:00Z",
            "provenance": "api",
        }
        self.rules[body["uid"]] = stored
        return web.json_response(stored, status=201)

    async def update_rule(self, request: web.Request) -> web.Response:
        uid = request.match_info["uid"]
        stored = (await request.json()) | {"id": self.rules[uid]["id"], "provenance": "api"}
        self.rules[uid] = stored
        return web.json_response(stored)


@pytest.fixture
async def grafana() -> AsyncIterator[tuple[FakeGrafana, str]]:
    fake = FakeGrafana()
    runner = web.AppRunner(fake.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield fake, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture(autouse=True)
def grafana_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """`kefu grafana` on the real CLI, registered here if pipeline/cli.py does not yet."""
    build = cli.build_parser

    def with_grafana() -> argparse.ArgumentParser:
        parser = build()
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        if "grafana" not in commands.choices:
            grafana_cli.register(commands)
        return parser

    monkeypatch.setattr(cli, "build_parser", with_grafana)


async def _push(url: str, monkeypatch: pytest.MonkeyPatch, token: str = TOKEN) -> int:
    monkeypatch.setenv("KEFU_GRAFANA_TOKEN", token)
    monkeypatch.setenv("KEFU_CLICKHOUSE_PASSWORD", "secret")
    return await asyncio.to_thread(cli.main, ["grafana", "push", "--url", url])


async def test_first_push_creates_everything_once(
    grafana: tuple[FakeGrafana, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, url = grafana
    assert await _push(url, monkeypatch) == 0
    assert sorted(fake.writes()) == sorted(
        [("POST", "/api/folders"), ("POST", "/api/datasources"), ("POST", "/api/datasources")]
        + [("POST", "/api/dashboards/db")] * len(BOARDS)
        + [("POST", "/api/v1/provisioning/alert-rules")]
    )
    assert set(fake.sources) == {datasources.CLICKHOUSE_UID, datasources.PROMETHEUS_UID}
    assert fake.sources[datasources.CLICKHOUSE_UID]["secureJsonFields"] == {"password": True}
    assert {b["meta"]["folderUid"] for b in fake.boards.values()} == {datasources.FOLDER_UID}
    saved = [
        body
        for (method, path), body in zip(fake.calls, fake.bodies, strict=True)
        if path == "/api/dashboards/db"
    ]
    assert all(body["overwrite"] is True and body["dashboard"]["id"] is None for body in saved)


async def test_second_push_changes_nothing(
    grafana: tuple[FakeGrafana, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, url = grafana
    await _push(url, monkeypatch)
    before = copy.deepcopy((fake.folders, fake.sources, fake.boards, fake.rules))
    fake.calls.clear()
    assert await _push(url, monkeypatch) == 0
    assert fake.writes() == []
    assert (fake.folders, fake.sources, fake.boards, fake.rules) == before


async def test_an_edited_board_is_put_back(
    grafana: tuple[FakeGrafana, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, url = grafana
    await _push(url, monkeypatch)
    fake.boards["kefu-agents"]["dashboard"]["title"] = "edited in the UI"
    fake.calls.clear()
    await _push(url, monkeypatch)
    assert fake.writes() == [("POST", "/api/dashboards/db")]
    assert fake.boards["kefu-agents"]["dashboard"]["title"] == "客服绩效 Agents"
    assert fake.boards["kefu-agents"]["dashboard"]["version"] == 2


async def test_a_wrong_token_is_one_line_and_exit_1(
    grafana: tuple[FakeGrafana, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, url = grafana
    assert await _push(url, monkeypatch, token="wrong") == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("kefu: grafana push failed at folder") and "401" in err
    assert "\n" not in err


async def test_no_token_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("KEFU_GRAFANA_TOKEN", raising=False)
    assert (
        await asyncio.to_thread(cli.main, ["grafana", "push", "--url", "http://127.0.0.1:9"]) == 1
    )
    assert "KEFU_GRAFANA_TOKEN" in capsys.readouterr().err

"""One alert to one channel over HTTP, retried with exponential backoff until it lands or
the attempts run out; the caller parks what did not land."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import aiohttp

from agents.alarms.model import Alert
from agents.notify import metrics as m
from agents.notify.channels import Verdict, build, verdict
from agents.notify.message import Rendered, render_group
from core.settings import ChannelSettings, KefuSettings

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Outcome:
    delivered: bool
    attempts: int
    reason: str = ""


class Deliverer:
    def __init__(
        self,
        name: str,
        channel: ChannelSettings,
        settings: KefuSettings,
        session: aiohttp.ClientSession,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.name = name
        self.channel = channel
        self.settings = settings
        self.session = session
        self._sleep = sleep

    async def deliver(self, *alerts: Alert) -> Outcome:
        """One notification: a single alert, or a group of per-agent alerts as one message."""
        notify = self.settings.notify
        alert = alerts[0]
        text = render_group(alerts, self.settings)
        delay = notify.retry_initial_seconds
        attempt = 0
        while True:
            attempt += 1
            result = await self._attempt(alerts, text)
            if result.ok:
                m.DELAY_SECONDS.labels(self.name).observe(
                    max(0.0, time.time() - alert.raised_at_ms / 1000)
                )
                return Outcome(True, attempt)
            m.ATTEMPT_FAILURES.labels(self.name).inc()
            if result.permanent or attempt >= notify.max_attempts:
                return Outcome(False, attempt, result.reason)
            log.warning(
                "channel %s: alert %s attempt %d failed (%s); retrying in %.1fs",
                self.name, alert.alert_id, attempt, result.reason, delay,
            )  # fmt: skip
            await self._sleep(delay)
            delay = min(notify.retry_max_seconds, delay * 2)

    async def _attempt(self, alerts: Sequence[Alert], text: Rendered) -> Verdict:
        # Built per attempt: the robots' signatures carry a timestamp that expires.
        request = build(self.channel, alerts, text, self.settings, int(time.time() * 1000))
        timeout = aiohttp.ClientTimeout(total=self.settings.notify.timeout_seconds)
        started = time.perf_counter()
        try:
            async with self.session.post(
                request.url,
                data=request.body,
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=timeout,
            ) as response:
                body = await response.read()
                return verdict(self.channel.kind, response.status, body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return Verdict(False, False, f"{type(exc).__name__}: {exc}")
        finally:
            m.REQUEST_SECONDS.labels(self.name).observe(time.perf_counter() - started)

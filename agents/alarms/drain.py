"""Waiting for the alarm path to catch up, for `kefu replay` and tests.

Run after the stateful stage has committed its input: by then every inquiry change it
will publish for that input is on the topic. Then the alarm agent has consumed them, the
alerts they raised are stored, and every routed notifier channel has handled them.
"""

from __future__ import annotations

from agents.notify.routing import routed_channels
from agents.notify.service import notify_group
from core.offsets import end_offsets, wait_committed
from core.settings import KefuSettings
from core.topics import topics_for


async def wait_alarms(bootstrap: str, settings: KefuSettings) -> None:
    topics = topics_for(settings)
    changes = await end_offsets(bootstrap, [topics.inquiry_changes])
    await wait_committed(bootstrap, settings.app_id, changes)
    alerts = await end_offsets(bootstrap, [topics.alerts])
    await wait_committed(bootstrap, settings.app_id, alerts)
    for channel in routed_channels(settings):
        await wait_committed(bootstrap, notify_group(settings, channel), alerts)

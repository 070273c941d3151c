"""POST /work-orders/{id}/{action} on the worker: a card button or an ERP moves a work order.

`action` is assign, act, resolve or reopen; the body may carry {"by": "...", "to": "...",
"at": epoch ms} (`at` defaults to now: an ERP syncing actions taken earlier sets it).
The request must carry `Authorization: Bearer <KEFU_WORK_ORDERS__HTTP_TOKEN>`; without a
configured token the endpoint refuses everything. The action becomes an event on the
work-order topic, like `kefu orders`, so the table stays the fold of events.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

import faust
import orjson
from faust.web import Request, Response, View

from agents.escalation.wire import lifecycle_json, person_event
from core.settings import KefuSettings
from core.topics import topics_for

VERBS = {"assign": "assigned", "act": "acted", "resolve": "resolved", "reopen": "reopened"}


def authorised(header: str | None, token: str) -> bool:
    if not token or not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header.removeprefix("Bearer ").encode(), token.encode())


def install_work_order_endpoint(app: faust.App, settings: KefuSettings) -> None:
    token = settings.work_orders.http_token.get_secret_value()
    topic = app.topic(
        topics_for(settings).work_order_events, value_serializer="raw", key_serializer="raw"
    )

    @app.page("/work-orders/{work_order_id}/{verb}/")
    class WorkOrderAction(View):
        async def post(
            self, request: Request, work_order_id: str, verb: str, **kwargs: Any
        ) -> Response:
            if not authorised(request.headers.get("Authorization"), token):
                return self.json({"error": "unauthorised"}, status=401)
            try:
                body = orjson.loads(await request.read() or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("the body must be a JSON object")  # noqa: EM101
                action = VERBS.get(verb)
                if action is None:
                    raise ValueError(f"unknown action {verb!r}; one of {', '.join(VERBS)}")  # noqa: EM102
                event = person_event(
                    work_order_id,
                    action,
                    str(body.get("by") or ""),
                    str(body.get("to") or ""),
                    int(body.get("at") or time.time() * 1000),
                )
            except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
                return self.json({"error": str(exc)}, status=400)
            await topic.send(key=event.work_order_id.encode(), value=lifecycle_json(event))
            return self.json(
                {"work_order_id": event.work_order_id, "action": event.action, "at": event.at},
                status=202,
            )

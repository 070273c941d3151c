"""Pydantic models of every event on the raw topics: the code form of docs/events.md."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from schemas.timestamps import from_epoch_ms, to_epoch_ms

EventId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
ShopId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
EpochMs = Annotated[int, BeforeValidator(to_epoch_ms)]
Amount = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2, allow_inf_nan=False)]


class BaseEvent(BaseModel):
    """Fields every event carries; unknown extra fields are kept, never fatal."""

    model_config = ConfigDict(extra="allow", frozen=True, str_strip_whitespace=False)

    event_id: EventId
    shop_id: ShopId
    occurred_at: EpochMs

    @property
    def occurred(self) -> datetime:
        return from_epoch_ms(self.occurred_at)

    def extra_fields(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class ChatMessage(BaseEvent):
    type: Literal["chat.message"]
    buyer_id: str
    sender: Literal["buyer", "agent", "bot", "system"]
    agent_id: str | None = None
    msg_type: Literal["text", "image", "goods", "order", "emoji", "other"] = "text"
    text: str | None = None
    order_id: str | None = None

    @model_validator(mode="after")
    def _agent_named(self) -> ChatMessage:
        if self.sender == "agent" and not self.agent_id:
            msg = "agent_id is required when sender is agent"
            raise ValueError(msg)
        return self


class Refund(BaseEvent):
    type: Literal["refund"]
    refund_id: str
    order_id: str
    buyer_id: str
    agent_id: str | None = None
    status: Literal[
        "requested",
        "agreed",
        "rejected",
        "goods_returned",
        "refunded",
        "cancelled",
        "dispute_opened",
        "dispute_closed",
    ]
    amount: Amount
    responsibility: Literal["merchant", "buyer", "platform", "none"] | None = None


class Order(BaseEvent):
    type: Literal["order"]
    order_id: str
    buyer_id: str
    status: Literal["created", "paid", "grouped", "shipped", "completed", "cancelled"]
    amount: Amount


class Rating(BaseEvent):
    type: Literal["rating"]
    buyer_id: str
    agent_id: str | None = None
    score: Annotated[int, Field(ge=1, le=5)]


class Complaint(BaseEvent):
    type: Literal["complaint"]
    complaint_id: str
    buyer_id: str
    agent_id: str | None = None
    order_id: str | None = None
    category: str


Event = Annotated[
    ChatMessage | Refund | Order | Rating | Complaint,
    Field(discriminator="type"),
]

EVENT_TYPES = ("chat.message", "refund", "order", "rating", "complaint")

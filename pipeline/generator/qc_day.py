"""Planted QC findings in generated traffic: `GenConfig.qc_conversations` a day.

The planted conversations of `qc_plant` are mixed into the generated shops' traffic (their
own buyers, the shops' real agents, times spread over the period) and delivered with the
same disorder and duplicates. `labels` lists what quality inspection must find in them,
`shops_yaml` is the per-shop QC configuration they assume (each shop's brand and hotline on
its allow-list, and its promotion), for `qc.shops_file`, and `scripts_yaml` a script library
for the generated agents' replies, for `qc.scripts_file`.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import cycle
from typing import Any

import orjson
import yaml

from pipeline.generator.clock import to_ms
from pipeline.generator.config import GenConfig
from pipeline.generator.ids import agent_id, shop_id
from pipeline.generator.phrases import LOGISTICS, PRESALE
from pipeline.generator.qc_plant import SHOPS, PlantedLine, PlantShop, plant


def plant_shops(config: GenConfig) -> tuple[PlantShop, ...]:
    """The generated shops dressed as the evaluation set's shops, in turn."""
    start_ms = to_ms(config.start)
    return tuple(
        PlantShop(
            shop_id(index),
            template.brand,
            template.hotline,
            template.promotion,
            None if template.promotion_ends_ms is None else start_ms,
        )
        for index, template in zip(range(config.shops), cycle(SHOPS), strict=False)
    )


def planted(config: GenConfig, tag: str) -> list[PlantedLine]:
    count = round(config.qc_conversations * config.days)
    span = (to_ms(config.start), to_ms(config.end))
    lines = plant(config.seed, count, plant_shops(config), span, config.agents_per_shop)
    # An agent an incident silences speaks in no planted conversation either.
    silent = {i.agent_id for i in config.incidents}
    stand_in = {a: _other_agent(config, a, silent) for a in silent}
    # The run tag keeps two generated files from sharing an event id in one topic.
    return [_tagged(line, tag, stand_in.get(line.agent_id, line.agent_id)) for line in lines]


def _other_agent(config: GenConfig, silent_agent: str, silent: set[str]) -> str:
    shop = silent_agent.rsplit("-a", 1)[0]
    others = [agent_id(shop, n) for n in range(config.agents_per_shop)]
    return next((a for a in others if a not in silent), silent_agent)


def _tagged(line: PlantedLine, tag: str, agent: str) -> PlantedLine:
    return PlantedLine(
        f"{line.event_id}-{tag}",
        line.shop_id,
        line.buyer_id,
        agent,
        line.sender,
        line.occurred_at_ms,
        line.text,
        line.labels,
        line.form,
    )


def event(line: PlantedLine) -> dict[str, Any]:
    """The line as a `chat.message` of docs/events.md."""
    return {
        "event_id": line.event_id,
        "type": "chat.message",
        "shop_id": line.shop_id,
        "occurred_at": line.occurred_at_ms,
        "buyer_id": line.buyer_id,
        "sender": line.sender,
        "agent_id": line.agent_id or None,
        "msg_type": "text",
        "text": line.text,
    }


def labels(lines: list[PlantedLine]) -> Iterator[bytes]:
    """One JSON line per planted finding: event_id, category, form."""
    for line in lines:
        for category in sorted(line.labels):
            yield orjson.dumps({"event_id": line.event_id, "category": category, "form": line.form})


def scripts_yaml(config: GenConfig) -> str:
    """Every other prepared reply of the generated agents, per shop, as its script library.

    Scripts are written without the leading 亲 agents add, so matching is fuzzy; the replies
    left out are what `kefu scripts suggest` should find.
    """
    banks = (("presale", PRESALE), ("logistics", LOGISTICS))
    scripts = [
        {"id": f"{intent}-{n}", "shop": shop_id(index), "intent": intent, "text": _plain(reply)}
        for index in range(config.shops)
        for intent, bank in banks
        for n, (_, reply) in enumerate(bank)
        if n % 2 == 0
    ]
    header = "# The shops' script library for generated traffic (kefu gen --qc-plant).\n"
    return header + yaml.safe_dump({"scripts": scripts}, allow_unicode=True, sort_keys=False)


def _plain(reply: str) -> str:
    return reply.removeprefix("亲，").removeprefix("亲")


def shops_yaml(config: GenConfig) -> str:
    shops: dict[str, Any] = {}
    for shop in plant_shops(config):
        entry: dict[str, Any] = {"allow": [shop.brand, shop.hotline]}
        if shop.promotion:
            promotion: dict[str, Any] = {
                "name": shop.promotion[0],
                "keywords": list(shop.promotion),
            }
            if shop.promotion_ends_ms is not None:
                promotion["ends_at"] = shop.promotion_ends_ms
            entry["promotions"] = [promotion]
        shops[shop.shop_id] = entry
    header = "# QC configuration the planted conversations assume (kefu gen --qc-plant).\n"
    return header + yaml.safe_dump({"shops": shops}, allow_unicode=True, sort_keys=True)

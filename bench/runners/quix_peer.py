"""The peer: Quix Streams computing the same per-shop 5-minute reply rates (bench.reply_rate).

A stateful `apply` per conversation (the raw topic is keyed by shop and buyer; state in
RocksDB with a changelog topic, Quix's defaults) turns messages into counts; `group_by`
re-keys them by shop through a repartition topic; a 1-minute tumbling window on the
inquiry's opening time with a 5-minute grace sums them and emits each window when final.
The clock stops once the window stage has consumed every count that the first stage
produced for the `--events` raw messages. Runs in its own venv (see bench.peer_env).
"""

from __future__ import annotations

import logging
import tempfile
from typing import Any

from quixstreams import Application, State

from bench.measure import Meter, RunnerResult, emit
from bench.reply_rate import DEADLINE_MS, WINDOW_MS, occurred_ms, step
from bench.runners import common_args


class Progress:
    """Counts at both ends of the repartition topic; stops the app when they meet."""

    def __init__(self, app: Application, events: int) -> None:
        self.app = app
        self.events = events
        self.meter = Meter("Quix Streams")
        self.raw = 0
        self.emitted = 0
        self.regrouped = 0
        self.windows = 0
        self.inquiries = 0
        self.replied = 0
        self.result: RunnerResult | None = None

    def maybe_done(self) -> None:
        if self.result is None and self.raw >= self.events and self.regrouped >= self.emitted:
            self.result = self.meter.stop(
                self.raw, inquiries=self.inquiries, replied=self.replied, windows=self.windows
            )
            self.app.stop()


def build(app: Application, topic_name: str, progress: Progress) -> None:
    topic = app.topic(
        topic_name,
        key_deserializer="bytes",
        value_deserializer="json",
        timestamp_extractor=lambda value, headers, ts, kind: occurred_ms(value["occurred_at"]),
    )

    def conversation(value: dict[str, Any], state: State) -> dict[str, Any] | None:
        progress.raw += 1
        progress.meter.start(1)
        before = state.get("open")
        after, outcome = step(before, value)
        if after is None and before is not None:
            state.delete("open")
        elif after != before:
            state.set("open", after)
        if outcome is not None:
            progress.emitted += 1
        progress.maybe_done()
        if outcome is None:
            return None
        return {
            "shop": outcome.shop_id,
            "opened": outcome.opened_ms,
            "n": outcome.n,
            "r": outcome.r,
        }

    def regrouped(value: dict[str, Any]) -> dict[str, Any]:
        progress.regrouped += 1
        progress.inquiries += value["n"]
        progress.replied += value["r"]
        progress.maybe_done()
        return value

    def window(value: dict[str, Any]) -> dict[str, Any]:
        progress.windows += 1
        return value

    sdf = app.dataframe(topic)
    sdf = sdf.apply(conversation, stateful=True).filter(lambda value: value is not None)
    sdf = sdf.set_timestamp(lambda value, key, ts, headers: value["opened"])
    sdf = sdf.group_by("shop").apply(regrouped)
    sdf = sdf.tumbling_window(duration_ms=WINDOW_MS, grace_ms=DEADLINE_MS).reduce(
        reducer=lambda agg, value: [agg[0] + value["n"], agg[1] + value["r"]],
        initializer=lambda value: [value["n"], value["r"]],
    )
    sdf.final().apply(window)


def consume(bootstrap: str, topic: str, group: str, events: int) -> RunnerResult:
    with tempfile.TemporaryDirectory(prefix="bench-quix-") as state_dir:
        app = Application(
            broker_address=bootstrap,
            consumer_group=group,
            auto_offset_reset="earliest",
            state_dir=state_dir,
            loglevel="WARNING",
            # As for every other runner: a short session so joining takes seconds, not 20.
            consumer_extra_config={"session.timeout.ms": 4000, "heartbeat.interval.ms": 1000},
        )
        progress = Progress(app, events)
        build(app, topic, progress)
        app.run()
    if progress.result is None:
        msg = f"Quix Streams stopped after {progress.raw} of {events} events"
        raise RuntimeError(msg)
    return progress.result


def main() -> None:
    args = common_args(__doc__ or "").parse_args()
    logging.basicConfig(level=logging.WARNING)
    emit(consume(args.bootstrap, args.topic, args.group, args.events))


if __name__ == "__main__":
    main()

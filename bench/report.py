"""Markdown for BENCHMARKS.md and the terminal, and the baseline the regression guard reads."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from bench.contenders import LABELS
from bench.engine_scale import EngineRow
from bench.machine import Machine
from bench.measure import RunnerResult
from bench.plan import Plan
from bench.profile import Profile
from bench.scale_rows import ScaleRow, against_one, cpu_target, verdict
from bench.spawn import REPO

BENCHMARKS = REPO / "BENCHMARKS.md"
BASELINE = REPO / "bench" / "baseline.json"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
WORK = {
    "pipeline": "ingest → packed batches → stateful agent → chDB, alarms, escalations, QC "
    "(2,000 dictionary entries), until stored",
    "pipeline_no_qc": "the same with quality inspection off",
    "ceiling": "poll with faust's fetch settings, `orjson.loads` each value",
    "peer": "stateful apply per conversation, `group_by` shop, 1-min tumbling windows",
    "naive": "same reply-rate work, `async for` one message at a time, auto acks",
}


@dataclass
class Report:
    machine: Machine
    command: str
    date: str
    plan: Plan
    contenders: dict[str, RunnerResult]
    reference: tuple[int, int]  # inquiries and 5-minute replies over the whole topic
    paced: RunnerResult | None = None
    engine: list[EngineRow] = field(default_factory=list)
    seen_bytes: float | None = None
    workers: list[ScaleRow] = field(default_factory=list)  # side by side on Apache Kafka
    workers_broker: str = ""
    profile: Profile | None = None
    quick_ratio: float | None = None  # pipeline/ceiling at the quick sizes, for the guard
    quick_workers_ratio: float | None = None  # bench.scale.guard_rows' CPU ratio, for the guard
    qc_in_process_us: float | None = None  # bench.qc_cost.in_process_us
    notes: list[str] = field(default_factory=list)

    def ratio(self, name: str, to: str = "ceiling") -> float | None:
        mine, other = self.contenders.get(name), self.contenders.get(to)
        if mine is None or other is None or not other.events_per_second:
            return None
        return mine.events_per_second / other.events_per_second


def _mib(size: float | None) -> str:
    return "–" if size is None else f"{size / 2**20:,.0f} MiB"


def _x(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _ms(value: object) -> str:
    return "–" if value is None else f"{float(str(value)):,.0f} ms"


def contenders_table(report: Report) -> list[str]:
    lines = [
        "| contender | work | events | events/s | × ceiling | × peer | CPU s per M events | peak RSS | inquiries |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, result in report.contenders.items():
        inquiries = result.extra.get("inquiries", "–") if name != "naive" else "(prefix)"
        lines.append(
            f"| {LABELS[name]} | {WORK[name]} | {result.events:,} | {result.events_per_second:,.0f} "
            f"| {_x(report.ratio(name))} | {_x(report.ratio(name, 'peer'), 2)} "
            f"| {result.cpu_per_million:,.1f} | {_mib(result.peak_rss_bytes)} | {inquiries} |"
        )
    return lines


def qc_cost_line(report: Report) -> list[str]:
    """QC's CPU per chat message, measured in process; beside it the two pipeline runs'
    difference, which the runs' spread (±10 %) swamps."""
    on, off = report.contenders.get("pipeline"), report.contenders.get("pipeline_no_qc")
    if report.qc_in_process_us is None or on is None or off is None:
        return []
    added = on.cpu_per_million - off.cpu_per_million  # CPU s per million events = µs per event
    return [
        "",
        f"Quality inspection (2,000 dictionary entries) costs {report.qc_in_process_us:.1f} µs "
        "of CPU per chat message in process (QC's part of the side stage, "
        "`bench.qc_cost.in_process_us`; target: at most 5 µs). The two pipeline runs above "
        f"differ by {added:.1f} µs per event ({on.cpu_per_million:,.1f} against "
        f"{off.cpu_per_million:,.1f} CPU s per million events); one pipeline run varies by "
        "about ±10 % from the next, so that difference is not QC's cost.",
    ]


def by_thread(result: RunnerResult) -> str:
    """A runner's CPU per million events by thread (bench.measure.thread_cpu), or ""."""
    threads: dict[str, float] = result.extra.get("thread_cpu") or {}
    if not threads or not result.events:
        return ""
    loop = threads.get("main thread", 0.0)
    python = threads.get("python", 0.0)
    store = sum(threads.values()) - loop - python
    per = 1e6 / result.events
    return (
        f"the event loop {loop * per:,.1f}, chDB's own threads {store * per:,.1f}, the other "
        f"Python threads (faust's consumer, the calls into chDB) {python * per:,.1f} CPU s "
        "per million events"
    )


def thread_line(report: Report) -> list[str]:
    ours = report.contenders.get("pipeline")
    split = "" if ours is None else by_thread(ours)
    if not split:
        return []
    return [
        "",
        f"Our pipeline's CPU by thread: {split}. A deployment runs the store as a ClickHouse "
        "server of its own; Quix Streams stores nothing.",
    ]


def paced_table(paced: RunnerResult) -> list[str]:
    extra = paced.extra
    lateness = int(extra["lateness_ms"])
    beyond = [
        None if extra[k] is None else float(extra[k]) - lateness
        for k in ("alert_p50_ms", "alert_p99_ms")
    ]
    rules = ", ".join(extra.get("alert_rules") or []) or "none raised"
    cores = paced.cpu_seconds / paced.seconds if paced.seconds else 0.0
    return [
        f"Paced at {float(extra['paced_rate']):,.0f} events/s (sent {float(extra['sent_rate']):,.0f}/s) "
        f"for {paced.events:,} live events after {int(extra['history']):,} events of history; "
        f"the worker used {cores:.2f} cores, peak RSS {_mib(paced.peak_rss_bytes)}"
        + (f"; by thread, {split}." if (split := by_thread(paced)) else "."),
        "",
        "| from → to | samples | p50 | p99 | max |",
        "|---|--:|--:|--:|--:|",
        f"| event sent → its inquiry stored | {extra['inquiry_samples']:,} | {_ms(extra['inquiry_p50_ms'])} "
        f"| {_ms(extra['inquiry_p99_ms'])} | {_ms(extra['inquiry_max_ms'])} |",
        f"| evaluation point → alert stored ({rules}) | {extra['alert_samples']:,} "
        f"| {_ms(extra['alert_p50_ms'])} | {_ms(extra['alert_p99_ms'])} | |",
        f"| … of which beyond the {lateness / 1000:.0f} s lateness allowance | | {_ms(beyond[0])} "
        f"| {_ms(beyond[1])} | |",
    ]


def engine_table(rows: list[EngineRow], seen_bytes: float | None) -> list[str]:
    lines = [
        "| open conversations | µs per event | RSS growth | traced (tracemalloc) | bytes per conversation |",
        "|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        held = row.traced_bytes if row.traced_bytes is not None else row.rss_bytes
        lines.append(
            f"| {row.conversations:,} | {row.us_per_event:.1f} | {_mib(row.rss_bytes)} "
            f"| {_mib(row.traced_bytes)} | {held / row.conversations:,.0f} |"
        )
    if seen_bytes is not None:
        lines += [
            "",
            f"Dedup window (`SeenWindow`): {seen_bytes:,.0f} bytes per remembered event id.",
        ]
    return lines


def workers_section(report: Report) -> list[str]:
    """The worker processes side by side, with the command that measures them alone."""
    rows, plan = report.workers, report.plan
    workers = ",".join(str(w) for w in plan.scale_workers)
    alone = (
        f"python -m bench.scale --events {plan.scale_events} --workers {workers} "
        f"--partitions {plan.partitions}"
    )
    return [
        f"{rows[0].events:,} generated chat events per row on {report.workers_broker}, "
        f"{plan.partitions} partitions; each worker is a pipeline process of its own (same "
        "app_id, its own chDB store), each row reads its own copy of the traffic "
        f"(`{alone}` measures the same alone; BENCHMARKS.md explains the columns below).",
        "",
        *workers_table(rows),
        "",
        f"- {verdict(rows)}",
        f"- Every row stored {rows[0].stored:,} chat messages, as one worker did: nothing "
        "lost or doubled.",
    ]


def workers_table(rows: list[ScaleRow]) -> list[str]:
    """Worker counts side by side on the same partitions, each against one worker."""
    lines = [
        "| workers | partitions | events | events/s | events/s per worker | × one worker "
        "| cores busy | CPU s per M events | × one worker's CPU | CPU s per M events read, each worker "
        "| peak RSS (largest worker) | stored | first polls (ingest untimed) |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        speed, cpu = against_one(rows, row) or (None, None)
        each = " / ".join(f"{value:,.1f}" for value in row.worker_cpu_per_million)
        lines.append(
            f"| {row.workers} | {row.partitions} | {row.events:,} | {row.events_per_second:,.0f} "
            f"| {row.events_per_second_per_worker:,.0f} | {_x(speed, 2)} | {row.cores:.2f} "
            f"| {row.cpu_per_million:,.1f} | {_x(cpu, 2)} | {each} "
            f"| {_mib(row.peak_rss_bytes)} | {row.stored:,} | {row.untimed:,} |"
        )
    return lines


def profile_table(profile: Profile) -> list[str]:
    result = profile.result
    lines = [
        f"py-spy at {result.events_per_second:,.0f} events/s over {result.events:,} events; "
        f"the worker used {profile.cores():.2f} cores, its chDB insert thread was inserting "
        f"{profile.sink_busy:.0%} of the run.",
        "",
        "| stage (event loop) | share of its samples |",
        "|---|--:|",
        *[f"| {name} | {share:.1%} |" for name, share in profile.stages],
        "",
        "| hottest functions (self time, event loop) | share |",
        "|---|--:|",
        *[f"| `{name}` | {share:.1%} |" for name, share in profile.hot],
    ]
    return lines


def render(report: Report) -> str:
    m = report.machine
    versions = ", ".join(f"{k} {v}" for k, v in m.versions.items())
    inquiries, replied = report.reference
    out = [
        f"Measured {report.date} with `{report.command}`.",
        "",
        f"- Machine: {m.describe()}.",
        f"- Versions: {versions}.",
        f"- Data: {report.plan.events:,} generated chat events on one raw topic "
        f"({inquiries:,} inquiries, {replied:,} answered within 5 minutes, by the reference count).",
        "",
        "### Side by side",
        "",
        *contenders_table(report),
        *qc_cost_line(report),
        *thread_line(report),
    ]
    if report.paced is not None:
        out += ["", "### Latency at half our throughput", "", *paced_table(report.paced)]
    if report.engine:
        out += [
            "",
            "### Inquiry engine at scale",
            "",
            *engine_table(report.engine, report.seen_bytes),
        ]
    if report.workers:
        out += ["", "### Workers side by side", "", *workers_section(report)]
    if report.profile is not None:
        out += ["", "### Profile of our pipeline", "", *profile_table(report.profile)]
    if report.notes:
        out += ["", "### Notes from this run", "", *[f"- {note}" for note in report.notes]]
    return "\n".join(out) + "\n"


def write_benchmarks(text: str, path: Path = BENCHMARKS) -> None:
    """Replace the generated part of BENCHMARKS.md; what stands around the markers stays."""
    write_section(text, BEGIN, END, path)


def write_section(text: str, begin: str, end: str, path: Path = BENCHMARKS) -> None:
    """Replace what stands between `begin` and `end`; missing markers go to the end of the file."""
    current = path.read_text() if path.exists() else f"# Benchmarks\n\n{begin}\n{end}\n"
    if (begin in current) != (end in current):
        msg = f"{path} holds only one of {begin} and {end}; fix the markers by hand"
        raise ValueError(msg)
    if begin not in current:
        current = f"{current.rstrip()}\n\n{begin}\n{end}\n"
    head, _, rest = current.partition(begin)
    _, _, tail = rest.partition(end)
    path.write_text(f"{head}{begin}\n{text}{end}{tail}")


def write_baseline(report: Report, path: Path = BASELINE) -> None:
    """The ratios this run measured; those it did not measure keep their recorded values.

    The guard (quick sizes) compares with `quick_pipeline_to_ceiling` and with
    `workers.quick_cpu_two_to_one`.
    """
    body = json.loads(path.read_text()) if path.exists() else {}
    ratio = report.ratio("pipeline")
    if ratio is not None and report.quick_ratio is not None:
        body |= {
            "pipeline_to_ceiling": round(ratio, 5),
            "quick_pipeline_to_ceiling": round(report.quick_ratio, 5),
            "events": report.plan.events,
            "broker": report.machine.versions["broker"],
            "command": report.command,
            "date": report.date,
        }
    two_to_one = cpu_target(report.workers)
    if two_to_one is not None and report.quick_workers_ratio is not None:
        body["workers"] = {
            "cpu_two_to_one": round(two_to_one, 5),
            "quick_cpu_two_to_one": round(report.quick_workers_ratio, 5),
            "events": report.plan.scale_events,
            "partitions": report.plan.partitions,
            "broker": report.workers_broker,
            "command": report.command,
            "date": report.date,
        }
    path.write_text(json.dumps(body, indent=2) + "\n")


def read_baseline(path: Path = BASELINE) -> float:
    """The quick-size ratio the guard holds the pipeline to."""
    return float(json.loads(path.read_text())["quick_pipeline_to_ceiling"])


def read_workers_baseline(path: Path = BASELINE) -> float:
    """The quick-size total CPU per event of two workers over one's, that the guard holds to."""
    return float(json.loads(path.read_text())["workers"]["quick_cpu_two_to_one"])

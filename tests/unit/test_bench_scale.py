"""The scale run's arithmetic, its sections of BENCHMARKS.md and its baseline, without a broker."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from bench.machine import Machine
from bench.measure import RunnerResult
from bench.plan import FULL
from bench.report import (
    Report,
    read_baseline,
    read_workers_baseline,
    render,
    workers_table,
    write_baseline,
    write_section,
)
from bench.scale import BEGIN, END, worker_counts
from bench.scale_rows import (
    LostOrDoubled,
    ScaleRow,
    against_one,
    check_stored,
    combine,
    cpu_target,
    verdict,
)


def _result(events: int, cpu: float, first_ms: int, stored: int, **extra: int) -> RunnerResult:
    return RunnerResult(
        runner="our pipeline",
        events=events,
        seconds=10.0,
        cpu_seconds=cpu,
        peak_rss_bytes=100 * 2**20,
        extra={"first_wall_ms": first_ms, "chat_messages": stored, **extra},
    )


def _row(workers: int, cpu: float, stored: int = 1000, seconds: float = 10.0) -> ScaleRow:
    return ScaleRow(
        partitions=4,
        workers=workers,
        events=100_000,
        seconds=seconds,
        cpu_seconds=cpu,
        peak_rss_bytes=2**30,
        stored=stored,
        worker_cpu_per_million=(cpu / workers * 10,) * workers,
    )


def test_each_worker_is_charged_for_the_events_its_own_ingest_read() -> None:
    lead = _result(95_000, cpu=6.0, first_ms=2_000, stored=600, read=60_000, first_poll=5_000)
    follower = _result(35_000, cpu=2.0, first_ms=1_000, stored=400, read=40_000, first_poll=5_000)
    row = combine(4, lead, [follower])
    assert row.workers == 2
    assert row.events == 100_000  # all the workers read, first polls included
    assert row.untimed == 10_000
    assert row.seconds == pytest.approx(11.0)  # from the follower's earlier first event
    assert row.stored == 1000
    assert row.worker_cpu_per_million == pytest.approx((100.0, 50.0))
    assert row.cpu_per_million == pytest.approx(80.0)
    assert row.cores == pytest.approx(8.0 / 11.0)
    assert row.events_per_second_per_worker == pytest.approx(100_000 / 11.0 / 2)


def test_rows_compare_with_one_worker_on_the_same_partitions() -> None:
    one, two = _row(1, cpu=5.0, seconds=10.0), _row(2, cpu=5.5, seconds=8.0)
    assert against_one([one, two], two) == pytest.approx((1.25, 1.1))
    assert cpu_target([one, two]) == pytest.approx(1.1)
    assert "1.10× one worker's, met" in verdict([one, two])
    assert "not met" in verdict([one, _row(2, cpu=6.0)])
    assert "not measured" in verdict([one, _row(4, cpu=5.0)])


def test_a_row_that_stored_more_or_less_than_one_worker_fails() -> None:
    check_stored([_row(1, 5.0), _row(2, 5.0), _row(4, 5.0)])
    with pytest.raises(LostOrDoubled, match="4 workers on 4 partitions stored 999"):
        check_stored([_row(1, 5.0), _row(2, 5.0), _row(4, 5.0, stored=999)])
    with pytest.raises(LostOrDoubled, match="no one-worker row"):
        check_stored([_row(2, 5.0)])


def test_the_table_has_one_line_per_row_and_lists_each_workers_cost() -> None:
    lines = workers_table([_row(1, 5.0), _row(2, 6.0)])
    assert len(lines) == 4
    assert all(line.count("|") == lines[0].count("|") for line in lines)
    assert "| 30.0 / 30.0 |" in lines[3]


def test_worker_counts_need_one_worker_to_compare_with() -> None:
    assert worker_counts("4,1,2,2") == (1, 2, 4)
    for bad in ("2,4", "0,1", "1,two"):
        with pytest.raises(argparse.ArgumentTypeError):
            worker_counts(bad)


def test_the_scale_section_is_rewritten_and_the_rest_of_the_file_stays(tmp_path: Path) -> None:
    path = tmp_path / "BENCHMARKS.md"
    bench = "<!-- bench:begin -->\nmain figures\n<!-- bench:end -->\n"
    path.write_text(f"# Benchmarks\n\n{bench}\nbefore\n{BEGIN}\nold\n{END}\nafter\n")
    write_section("new\n", BEGIN, END, path)
    assert path.read_text() == f"# Benchmarks\n\n{bench}\nbefore\n{BEGIN}\nnew\n{END}\nafter\n"


def test_missing_markers_are_added_at_the_end_and_a_lone_marker_is_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\ntext\n")
    write_section("figures\n", BEGIN, END, path)
    assert path.read_text() == f"# Benchmarks\n\ntext\n\n{BEGIN}\nfigures\n{END}\n"
    path.write_text(f"# Benchmarks\n{BEGIN}\nkept\n")
    with pytest.raises(ValueError, match="only one of"):
        write_section("figures\n", BEGIN, END, path)
    assert path.read_text() == f"# Benchmarks\n{BEGIN}\nkept\n"


def _report(workers: list[ScaleRow], quick_workers: float | None = None) -> Report:
    host = Machine(2, 24.0, "cpu", (0.1, 0.2, 0.3), {"broker": "Tansu"})
    return Report(
        host, "python -m bench", "2026-12-06", FULL, {}, (0, 0), workers=workers,
        workers_broker="Apache Kafka 4.4.0", quick_workers_ratio=quick_workers,
    )  # fmt: skip


def test_make_bench_reports_the_workers_with_the_command_that_measures_them_alone() -> None:
    text = render(_report([_row(1, 5.0), _row(2, 5.5)]))
    section = text.split("### Workers side by side\n", 1)[1]
    assert "on Apache Kafka 4.4.0, 4 partitions" in section
    assert "`python -m bench.scale --events 120000 --workers 1,2 --partitions 4`" in section
    assert "| 2 | 4 | 100,000 |" in section
    assert "1.10× one worker's, met" in section
    assert "### Workers side by side" not in render(_report([]))


def test_the_baseline_keeps_what_a_run_did_not_measure(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps({"quick_pipeline_to_ceiling": 0.02, "command": "earlier"}))
    write_baseline(_report([_row(1, 5.0), _row(2, 5.5)], quick_workers=1.2), path)
    assert read_baseline(path) == 0.02  # no contenders in this report: kept
    recorded = json.loads(path.read_text())["workers"]
    assert recorded["cpu_two_to_one"] == pytest.approx(1.1)
    assert recorded["broker"] == "Apache Kafka 4.4.0"
    assert read_workers_baseline(path) == pytest.approx(1.2)
    write_baseline(_report([]), path)  # a run without the workers keeps their figures
    assert read_workers_baseline(path) == pytest.approx(1.2)

"""Regression guard: our pipeline's throughput over the ceiling's, both measured in this run.

The quick benchmark (bench.plan.QUICK: a small topic on Tansu, the raw-consumer ceiling
and our pipeline end to end) must keep at least half the ratio that the last full run
(`python -m bench`) recorded at the same sizes in bench/baseline.json. A ratio measured in
one run on one machine, never an absolute time, so a slower machine does not fail it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.contenders import side_by_side
from bench.plan import QUICK
from bench.report import BASELINE, read_baseline
from pipeline.embedded_broker import TansuBroker

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def test_pipeline_keeps_half_its_recorded_ratio_to_the_ceiling(
    tansu_broker: TansuBroker, tmp_path: Path
) -> None:
    recorded = read_baseline()
    plan = QUICK.only(("ceiling", "pipeline"))
    data, results = side_by_side(tansu_broker.bootstrap, plan, tmp_path, peer=None)
    ours, ceiling = results["pipeline"], results["ceiling"]
    ratio = ours.events_per_second / ceiling.events_per_second
    assert ours.extra["inquiries"] == data.reference().inquiries
    assert ratio >= recorded / 2, (
        f"our pipeline read {ours.events_per_second:,.0f} events/s, {ratio:.4f} of the ceiling's "
        f"{ceiling.events_per_second:,.0f}; {BASELINE.name} records {recorded:.4f} (floor {recorded / 2:.4f})"
    )

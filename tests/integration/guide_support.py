"""docs/analysts.md's SQL blocks and the generated day they run on (shared by its tests).

`guide_queries()` extracts every ```sql block with the heading above it; a block that
contains `-- may return no rows` may come back empty. `day_file()` writes the boards'
sample day (two shops, agent s1-a1 silent 10:00-10:45 Shanghai time, so alerts fire) with
delivery noise: disorder, duplicates and malformed lines (dead letters).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline import sample_day as sample
from pipeline.generator import GenConfig

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "analysts.md"
MAY_BE_EMPTY = "-- may return no rows"
_BLOCK = re.compile(r"^```sql\n(.*?)^```", re.DOTALL | re.MULTILINE)
_HEADING = re.compile(r"^#{2,4} (.+)$", re.MULTILINE)
# What the guide promises a worked query for (words of its headings).
TOPICS = (
    "work-order sla breach rate",
    "daily scorecard",
    "worst hours",
    "slowest agents",
    "night-inquiry share",
    "refund speed",
    "conversion by agent",
    "alert history",
    "per-buyer rates",
    "8_23 and all_day",
    "dead letters by reason",
    "open inquiries right now",
    "p90 response time per agent",
    "qc score",
    "scripts ranked by effect",
)


@dataclass(frozen=True)
class GuideQuery:
    """One ```sql block of the guide and the heading it sits under."""

    number: int
    heading: str
    sql: str

    @property
    def may_be_empty(self) -> bool:
        return MAY_BE_EMPTY in self.sql

    @property
    def key(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.heading.lower()).strip("-")
        return f"{self.number:02d}-{slug[:40]}"


def guide_queries(text: str | None = None) -> list[GuideQuery]:
    text = GUIDE.read_text(encoding="utf-8") if text is None else text
    queries = []
    for number, block in enumerate(_BLOCK.finditer(text), start=1):
        headings = _HEADING.findall(text, 0, block.start())
        queries.append(GuideQuery(number, headings[-1] if headings else "", block.group(1)))
    return queries


def day_config() -> GenConfig:
    """The sample day of the boards, delivered with noise."""
    return dataclasses.replace(
        sample.day_config(), disorder_seconds=20, duplicate_rate=0.01, malformed_rate=0.005
    )


def day_file(directory: Path) -> Path:
    """The noisy day, and beside it the QC files (sample_day.qc_settings reads them)."""
    sample.write_day(directory, day_config())
    return directory / "sample-day.jsonl"

"""Seeded, realistic synthetic traffic for Pinduoduo shops, in the wire format of docs/events.md.

`generate(GenConfig(...))` streams events in delivery order; `write_jsonl` stores them;
`paced`/`live` replay them at wall-clock pace for demos.
"""

from pipeline.generator.config import GenConfig, Incident
from pipeline.generator.delivery import Line
from pipeline.generator.generate import generate
from pipeline.generator.jsonl import write_jsonl
from pipeline.generator.pacing import live, paced

__all__ = ["GenConfig", "Incident", "Line", "generate", "live", "paced", "write_jsonl"]

"""PNG previews of the boards, drawn from the same queries Grafana runs.

`python -m pipeline.board_preview` generates the sample day, replays it through the real
pipeline (embedded broker and store, in a temporary directory), runs every
ClickHouse panel's SQL with the plugin's macros expanded and draws each board to
docs/boards/<board>.png. Prometheus panels have no Prometheus here: they show the
worker's own counters at the end of the replay, read from this process's registry.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from prometheus_client import REGISTRY  # noqa: E402

from grafana import catalog, draw  # noqa: E402
from grafana.datasources import CLICKHOUSE_TYPE  # noqa: E402
from grafana.macros import TimeRange, expand  # noqa: E402
from grafana.render import load_dashboard  # noqa: E402
from pipeline import sample_day as sample  # noqa: E402
from sinks.errors import StoreError  # noqa: E402
from sinks.store import QueryResult, Store  # noqa: E402

log = logging.getLogger(__name__)

OUT = Path(__file__).resolve().parent.parent / "docs" / "boards"
CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC")
WIDTH_INCHES = 16.0
ROW_INCHES = WIDTH_INCHES / 24 / 2  # Grafana rows are 30 px, columns about 60 px
DPI = 100
HEADER_ROWS = 2  # room for the board title above the grid


def use_cjk_font() -> str | None:
    """A font with Chinese glyphs, if the machine has one (Debian: fonts-wqy-microhei)."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            plt.rcParams["font.family"] = [name, "DejaVu Sans"]
            return name
    log.warning(
        "no CJK font found; Chinese titles will not render (apt install fonts-wqy-microhei)"
    )
    return None


def render(store: Store, out: Path) -> list[Path]:
    """Every board as out/<board>.png; returns the files written."""
    use_cjk_font()
    when = sample.time_range(sample.variable_values(store))
    out.mkdir(parents=True, exist_ok=True)
    return [render_board(board, store, when, out) for board, _ in catalog.dashboards()]


def render_board(board: str, store: Store, when: TimeRange, out: Path) -> Path:
    data = load_dashboard(board)
    panels = data.get("panels", [])
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels) + HEADER_ROWS + 1
    with plt.style.context("dark_background"):
        fig = plt.figure(figsize=(WIDTH_INCHES, rows * ROW_INCHES), dpi=DPI, facecolor="#111217")
        fig.text(0.01, 1 - 0.6 / rows, data["title"], fontsize=14, color="white", va="center")
        for panel in panels:
            _panel(fig, panel, rows, store, when)
        path = out / f"{board}.png"
        # No software/date metadata: the same data gives the same bytes.
        fig.savefig(path, dpi=DPI, facecolor=fig.get_facecolor(), metadata={"Software": None})
        plt.close(fig)
    return path


def _panel(fig: Any, panel: dict[str, Any], rows: int, store: Store, when: TimeRange) -> None:
    grid = panel["gridPos"]
    left, width = grid["x"] / 24 + 0.006, grid["w"] / 24 - 0.012
    top = 1 - (grid["y"] + HEADER_ROWS + 1) / rows
    height = grid["h"] / rows - 1.6 / rows
    ax = fig.add_axes((left + 0.035, top - height, width - 0.045, height - 0.5 / rows))
    ax.set_facecolor(draw.BACKGROUND)
    fig.text(left, top + 0.2 / rows, panel["title"], fontsize=9, color="white")
    defaults = panel["fieldConfig"]["defaults"]
    unit, steps = defaults.get("unit", ""), defaults.get("thresholds", {}).get("steps", [])
    target = panel["targets"][0]
    if target.get("datasource", {}).get("type") != CLICKHOUSE_TYPE:
        _prometheus(ax, [t["expr"] for t in panel["targets"]])
        return
    try:
        result = store.query(expand(target["rawSql"], when))
    except StoreError as exc:  # e.g. a view another issue has not shipped yet
        ax.axis("off")
        ax.text(
            0.5,
            0.5,
            f"not in this store yet:\n{str(exc)[:90]}",
            ha="center",
            va="center",
            fontsize=7,
            color="#8e8e8e",
            wrap=True,
        )
        return
    kind = panel["type"]
    if kind == "timeseries":
        lines = defaults.get("custom", {}).get("thresholdsStyle", {}).get("mode", "off") != "off"
        draw.timeseries(ax, result, unit, steps, lines)
    elif kind == "stat":
        draw.stat(ax, result, unit, steps)
    elif kind == "bargauge":
        draw.bars(ax, result, unit, steps)
    else:
        draw.table(ax, result, _column_styles(panel))


def _column_styles(panel: dict[str, Any]) -> dict[str, tuple[str, list[dict[str, Any]]]]:
    styles = {}
    for override in panel["fieldConfig"].get("overrides", []):
        props = {p["id"]: p["value"] for p in override["properties"]}
        styles[override["matcher"]["options"]] = (
            props.get("unit", ""),
            props.get("thresholds", {}).get("steps", []),
        )
    return styles


def _prometheus(ax: Any, exprs: Sequence[str]) -> None:
    """Totals of the first metric each expression names, from this process's registry."""
    names, values = [], []
    for expr in exprs:
        found = re.search(r"kefu_\w+?(?=_bucket\b|\b)", expr)
        if not found:
            continue
        metric = found.group(0)
        for family in REGISTRY.collect():
            for s in family.samples:
                if s.name in (
                    metric,
                    metric.removesuffix("_bucket") + "_count",
                ) and not s.name.endswith("_created"):
                    labels = ",".join(f"{v}" for k, v in sorted(s.labels.items()) if k != "le")
                    names.append(f"{metric.removeprefix('kefu_')} {labels}".strip())
                    values.append(s.value)
    result = QueryResult(["name", "value"], list(zip(names, values, strict=True))[:10])
    if result.rows:
        draw.bars(ax, result, "", [{"color": "blue", "value": None}])
    else:
        ax.axis("off")
    note = "no Prometheus here; bars: the worker's counters at the end of the replay. " + exprs[0]
    ax.text(
        0.0,
        1.01,
        note[:160].replace("$", r"\$"),
        transform=ax.transAxes,
        fontsize=5.5,
        color="#8e8e8e",
    )


async def _replay_sample(work: Path) -> Path:
    from core.settings import load_settings
    from pipeline.replay import replay

    path = sample.write_day(work)
    settings = load_settings(
        home=work / "home", store_path=work / "store", qc=sample.qc_settings(work)
    )
    await replay(settings, [path])
    return work / "store"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.board_preview", description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {OUT})")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from sinks.chdb_store import ChdbStore

    with tempfile.TemporaryDirectory(prefix="kefu-preview-") as tmp:
        store_dir = asyncio.run(_replay_sample(Path(tmp)))
        with ChdbStore(store_dir) as store:
            for path in render(store, args.out):
                print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

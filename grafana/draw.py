"""Matplotlib drawings of Grafana panels from query results, for the board previews.

Not a Grafana clone: enough to show what each panel says (series, big numbers,
bars, tables) with its units and threshold colours.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from sinks.store import QueryResult

ZONE = ZoneInfo("Asia/Shanghai")
COLORS = {
    "red": "#e02f44",
    "orange": "#ff9830",
    "green": "#56a64b",
    "blue": "#3274d9",
    "text": "#d8d9da",
}
SERIES = ["#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c", "#5794f2", "#b877d9", "#705da0"]
BACKGROUND = "#181b1f"


def fmt(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    number = float(value) if isinstance(value, int | float | Decimal) else None
    if number is None:
        return (
            value.astimezone(ZONE).strftime("%H:%M") if isinstance(value, datetime) else str(value)
        )
    if unit == "percentunit":
        return f"{number:.1%}"
    if unit == "s":
        return f"{number / 3600:.1f} h" if number >= 3600 else f"{number:.0f} s"
    if unit == "currencyCNY":
        return f"¥{number:,.0f}"
    return f"{number:,.0f}" if number == int(number) else f"{number:,.2f}"


def step_color(value: Any, steps: Sequence[dict[str, Any]]) -> str:
    """The colour of the highest threshold step at or below `value` (Grafana's rule)."""
    color = steps[0]["color"] if steps else "text"
    if isinstance(value, int | float | Decimal):
        for step in steps[1:]:
            if float(value) >= step["value"]:
                color = step["color"]
    return COLORS.get(color, color)


def _split(result: QueryResult) -> tuple[list[int], list[int]]:
    """Indices of label (text) columns and value (number) columns; all-NULL counts as a value."""
    labels, numeric = [], []
    for i in range(len(result.columns)):
        seen = [row[i] for row in result.rows if row[i] is not None]
        if any(isinstance(v, str) for v in seen):
            labels.append(i)
        elif not any(isinstance(v, datetime) for v in seen):
            numeric.append(i)
    return labels, numeric


def timeseries(
    ax: Axes, result: QueryResult, unit: str, steps: list[dict[str, Any]], lines: bool
) -> None:
    labels, numeric = _split(result)
    series: dict[str, tuple[list[datetime], list[float]]] = {}
    for row in result.rows:
        prefix = " ".join(str(row[i]) for i in labels)
        for i in numeric:
            name = (
                f"{prefix} {result.columns[i]}".strip()
                if len(numeric) > 1 or not prefix
                else prefix
            )
            times, values = series.setdefault(name, ([], []))
            times.append(row[0])
            values.append(float("nan") if row[i] is None else float(row[i]))
    for n, (name, (times, values)) in enumerate(sorted(series.items())):
        marker = "o" if len(times) < 20 else None  # a day or two of daily points
        ax.plot(
            mdates.date2num(times),
            values,
            label=name,
            color=SERIES[n % len(SERIES)],
            linewidth=1.2,
            marker=marker,
            markersize=3,
        )
    if lines:
        for step in steps[1:]:
            ax.axhline(
                step["value"],
                color=COLORS.get(step["color"], step["color"]),
                linestyle="--",
                linewidth=1,
            )
    locator = mdates.AutoDateLocator(tz=ZONE)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=ZONE))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt(v, unit)))
    ax.grid(color="#2c3235", linewidth=0.5)
    if series:
        ax.legend(
            fontsize=6,
            loc="lower left",
            ncol=min(len(series), 6),
            frameon=False,
            labelcolor=COLORS["text"],
        )


def stat(ax: Axes, result: QueryResult, unit: str, steps: list[dict[str, Any]]) -> None:
    labels, numeric = _split(result)
    cells = [
        (" ".join(str(row[i]) for i in labels) or result.columns[v], row[v])
        for row in result.rows
        for v in numeric[:1]
    ] or [("", None)]
    ax.axis("off")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    width = 1 / len(cells)
    for n, (label, value) in enumerate(cells):
        x = n * width
        ax.add_patch(_box(x + 0.01, 0.05, width - 0.02, 0.9, step_color(value, steps)))
        ax.text(
            x + width / 2,
            0.5,
            fmt(value, unit),
            ha="center",
            va="center",
            fontsize=18,
            color="white",
            weight="bold",
        )
        ax.text(x + width / 2, 0.15, label, ha="center", va="center", fontsize=8, color="white")


def bars(ax: Axes, result: QueryResult, unit: str, steps: list[dict[str, Any]]) -> None:
    """Horizontal bars, best first, each named inside its bar (names can be long)."""
    labels, numeric = _split(result)
    rows = result.rows[:12][::-1]
    values = [float(row[numeric[0]] or 0) for row in rows]
    ax.barh(range(len(rows)), values, color=[step_color(v, steps) for v in values])
    for y, (row, value) in enumerate(zip(rows, values, strict=True)):
        name = " ".join(str(row[i]) for i in labels)
        ax.text(0, y, f" {name}  {fmt(value, unit)}", va="center", fontsize=7, color="white")
    ax.set_yticks([])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt(v, unit)))


def table(
    ax: Axes, result: QueryResult, styles: dict[str, tuple[str, list[dict[str, Any]]]]
) -> None:
    ax.axis("off")
    rows = result.rows[:10]
    text = [
        [fmt(v, styles.get(c, ("", []))[0]) for c, v in zip(result.columns, row, strict=True)]
        for row in rows
    ]
    colors = [
        [
            step_color(v, styles[c][1]) if c in styles and len(styles[c][1]) > 1 else BACKGROUND
            for c, v in zip(result.columns, row, strict=True)
        ]
        for row in rows
    ]
    if not rows:
        ax.text(0.5, 0.5, "No data", ha="center", va="center", color=COLORS["text"])
        return
    grid = ax.table(
        cellText=text,
        cellColours=colors,
        colLabels=result.columns,
        loc="upper center",
        cellLoc="center",
    )
    grid.auto_set_font_size(False)
    grid.set_fontsize(6.5)
    for cell in grid.get_celld().values():
        cell.set_edgecolor("#2c3235")
        cell.get_text().set_color("white")
    for col in range(len(result.columns)):
        grid[0, col].set_facecolor("#22252b")


def _box(x: float, y: float, w: float, h: float, color: str) -> Any:
    from matplotlib.patches import FancyBboxPatch

    return FancyBboxPatch(
        (x, y), w, h, boxstyle="round,pad=0.005", facecolor=color, edgecolor="none"
    )

"""`python -m grafana.build`: rewrite grafana/dashboards and grafana/provisioning.

`--check` writes nothing and exits 1 when a committed file differs from what the
code generates (the test suite runs the same comparison).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from grafana.render import HERE, render_all


def stale(root: Path = HERE) -> list[Path]:
    """Generated files whose committed text differs (or that are missing)."""
    return [
        path
        for path, text in render_all().items()
        if not (root / path).exists() or (root / path).read_text("utf-8") != text
    ]


def write(root: Path = HERE) -> list[Path]:
    written = []
    for path, text in render_all().items():
        target = root / path
        if target.exists() and target.read_text("utf-8") == text:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, "utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grafana.build", description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on a diff")
    args = parser.parse_args(argv)
    if args.check:
        changed = stale()
        for path in changed:
            print(f"stale: grafana/{path}", file=sys.stderr)
        return 1 if changed else 0
    for path in write():
        print(f"wrote grafana/{path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The order the session hands its tests out in."""

from __future__ import annotations

import pytest


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files holding a `slow` test first; every file's tests keep their order.

    `make test` gives its workers whole files (--dist loadfile) in this order
    (--no-loadscope-reorder): the end-to-end files of a minute or more start first and the
    many short ones fill in behind them. xdist's own order (most tests first) started them
    last, so one worker ran the last of them while the other had nothing left to do.
    Runs after pytest's own reordering (trylast), which the stable sort keeps within each part.
    """
    slow = {item.path for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: item.path not in slow)

"""The order the session hands its tests out in; no test leaves the worker's collector behind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core import collector


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


@pytest.fixture(autouse=True)
def _collector_left_as_found() -> Iterator[None]:
    """A worker run inside a test (pipeline.runtime.running) uninstalls its collector; one left
    installed would freeze whatever survives a young collection in every later test of the
    process, and break tests/unit/test_collector.py's expectations of a clean process.
    """
    yield
    if collector.installed():
        while collector.installed():
            collector.uninstall()
        pytest.fail("the test left core.collector installed (pipeline.runtime.running uninstalls)")

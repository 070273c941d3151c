"""The QC dictionary in force, reloaded without a restart when its files change.

`current()` is called per message; it looks at the files' modification times at most every
`reload_seconds` and compiles a whole new `Ruleset` when one changed, so a message is always
inspected by one consistent version. A file that does not load keeps the old rules in force
and is reported once per change; at start a bad file is a configuration error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from agents.qc.dictionary import load_shops, reload
from agents.qc.matcher import Ruleset
from core.errors import ConfigError
from core.settings import QcSettings

log = logging.getLogger(__name__)


class LiveRules:
    __slots__ = ("_settings", "_clock", "_checked", "_stamps", "rules", "reloads")

    def __init__(self, settings: QcSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._clock = clock
        self._stamps = self._stamp()
        try:
            self.rules = self._compile()
        except (OSError, ValueError, KeyError) as exc:
            msg = f"quality-inspection dictionary: {exc}"
            raise ConfigError(msg) from exc
        self._checked = clock()
        self.reloads = 0

    def current(self) -> Ruleset:
        now = self._clock()
        if now - self._checked >= self._settings.reload_seconds:
            self._checked = now
            self._reload_if_changed()
        return self.rules

    def _reload_if_changed(self) -> None:
        stamps = self._stamp()
        if stamps == self._stamps:
            return
        self._stamps = stamps
        try:
            self.rules = self._compile()
        except (OSError, ValueError, KeyError) as exc:
            log.error("QC dictionary not reloaded, the previous one stays in force: %s", exc)
            return
        self.reloads += 1
        log.info("QC dictionary reloaded (%d rules)", len(self.rules.rule_ids))

    def _compile(self) -> Ruleset:
        shops = load_shops(self._settings.shops_file) if self._settings.shops_file else ()
        return reload(self._settings.dictionary, shops)

    def _stamp(self) -> tuple[float | None, ...]:
        return tuple(_mtime(p) for p in (self._settings.dictionary, self._settings.shops_file))


def _mtime(path: Path | None) -> float | None:
    if path is None:
        return None
    try:
        return path.stat().st_mtime_ns / 1e9
    except OSError:
        return None

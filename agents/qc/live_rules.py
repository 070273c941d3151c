"""The QC dictionary and script library in force, reloaded without a restart when their files change.

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

import yaml

from agents.qc.dictionary import load_shops, reload
from agents.qc.matcher import Ruleset
from agents.qc.scripts import ScriptLibrary, parse_scripts
from core.errors import ConfigError
from core.settings import QcSettings

log = logging.getLogger(__name__)


class LiveRules:
    __slots__ = ("_settings", "_clock", "_checked", "_stamps", "rules", "library", "reloads")

    def __init__(self, settings: QcSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._clock = clock
        self._stamps = self._stamp()
        try:
            self.rules, self.library = self._compile()
        except (OSError, ValueError, KeyError) as exc:
            msg = f"quality-inspection dictionary or scripts: {exc}"
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
            self.rules, self.library = self._compile()
        except (OSError, ValueError, KeyError) as exc:
            log.error("QC dictionary not reloaded, the previous one stays in force: %s", exc)
            return
        self.reloads += 1
        log.info("QC dictionary reloaded (%d rules)", len(self.rules.rule_ids))

    def current_library(self) -> ScriptLibrary:
        self.current()
        return self.library

    def _compile(self) -> tuple[Ruleset, ScriptLibrary]:
        qc = self._settings
        shops = load_shops(qc.shops_file) if qc.shops_file else ()
        rules = reload(qc.dictionary, shops)
        scripts = (
            parse_scripts(yaml.safe_load(qc.scripts_file.read_text("utf-8")))
            if qc.scripts_file
            else ()
        )
        return rules, ScriptLibrary(scripts, qc.script_threshold, rules.normalise)

    def _stamp(self) -> tuple[float | None, ...]:
        qc = self._settings
        return tuple(_mtime(p) for p in (qc.dictionary, qc.shops_file, qc.scripts_file))


def _mtime(path: Path | None) -> float | None:
    if path is None:
        return None
    try:
        return path.stat().st_mtime_ns / 1e9
    except OSError:
        return None

"""The demo brings its shops' QC files along, unless QC files are configured."""

from __future__ import annotations

from pathlib import Path

from agents.qc.live_rules import LiveRules
from core.settings import KefuSettings, QcSettings
from pipeline.demo import demo_config, demo_qc


def test_the_demo_writes_loadable_qc_files_under_home(tmp_path: Path) -> None:
    settings = demo_qc(KefuSettings(home=tmp_path), 100.0)
    assert settings.qc.shops_file is not None and settings.qc.shops_file.is_relative_to(tmp_path)
    live = LiveRules(settings.qc)
    assert live.library.has_scripts
    assert demo_config(100.0).qc_conversations > 0


def test_configured_qc_files_are_kept(tmp_path: Path) -> None:
    mine = QcSettings(shops_file=tmp_path / "mine.yaml")
    settings = KefuSettings(home=tmp_path, qc=mine)
    assert demo_qc(settings, 100.0).qc == mine

"""`kefu plan` on an embedded store holding two steady weeks: six inquiries every half hour of
service hours, each answered after 60 s and closed by a second agent message 60 s later.

By hand: handle time 60 s; 6 arrivals in 1800 s offer A = 0.2 Erlang, and one agent
answers 1 - 0.2 e^(-0.8 * 180 / 60) = 98 % within 3 minutes, so every half hour of service
hours needs one agent and the night none.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.cli import main
from sinks.chdb_store import ChdbStore
from sinks.migrate import migrate

# 00:00 UTC on Monday 23 November 2026 is 08:00 in Shanghai, the service start.
START = "toDateTime64('2026-11-23 00:00:00', 3, 'UTC')"
OPENED = f"{START} + toIntervalSecond(intDiv(number, 180) * 86400 + intDiv(number % 180, 6) * 1800 + number % 6 * 300)"
INQUIRIES = f"""INSERT INTO kefu.inquiries
SELECT 's1', concat('b', toString(number)), concat('q', toString(number)), '', {OPENED},
    {OPENED}, {OPENED} + toIntervalSecond(60), 'a1', 60, 0, 1, 1, toDate({OPENED}, 'Asia/Shanghai'),
    'answered', 1, 60, 1, 0
FROM numbers(14 * 180)"""
MESSAGES = f"""INSERT INTO kefu.chat_messages (event_id, shop_id, buyer_id, sender, agent_id,
    occurred_at, msg_type)
SELECT concat(kind, toString(number)), 's1', concat('b', toString(number)),
    if(kind = 'q', 'buyer', 'agent'), if(kind = 'q', '', concat('a', toString(number % 3))),
    {OPENED} + toIntervalSecond(if(kind = 'q', 0, if(kind = 'r', 60, 120))), 'text'
FROM numbers(14 * 180) ARRAY JOIN ['q', 'r', 'f'] AS kind"""
PLAN = "SELECT required_agents, handle_seconds, interval_start FROM staffing_plan FINAL"
SHIFTS = """SELECT business_date, shift_start, hours, break_after_minutes, agents
FROM staffing_shifts FINAL
WHERE (business_date, planned_at) IN
    (SELECT business_date, max(planned_at) FROM staffing_shifts GROUP BY business_date)
ORDER BY shift_start, hours, break_after_minutes"""


@pytest.fixture
def store_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "store"
    with ChdbStore(path, "kefu") as store:
        migrate(store, "kefu", 180)
        store.command(INQUIRIES)
        store.command(MESSAGES)
    return path


def test_plan_prints_and_stores_one_agent_per_service_half_hour(
    store_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["plan", "--store", str(store_dir), "--shop", "s1", "--from", "2026-12-07", "--days"]
    assert main([*args, "2"]) == 0
    printed = " ".join(capsys.readouterr().out.split())  # unwrapped
    assert "handle 60 s" in printed
    assert "Mon 12-07" in printed and "Tue 12-08" in printed
    assert "08:00" in printed and "22:30" in printed and "23:00" not in printed
    # Every past half hour: 6 inquiries, 3 agents on, all answered in 60 s; the model says 100 %.
    assert "model check over 420 past half hours" in printed
    assert "predicted 100.0% answered within 180 s, observed 100.0%" in printed
    assert main([*args, "2"]) == 0  # a re-plan replaces the rows
    with ChdbStore(store_dir, "kefu") as store:
        rows = store.query(PLAN).rows
    assert len(rows) == 96
    by_hour = {(at.hour, at.minute): agents for agents, _, at in rows}
    assert all(by_hour[(h, m)] == 1 for h in range(8, 23) for m in (0, 30))
    assert all(by_hour[(h, m)] == 0 for h in (*range(8), 23) for m in (0, 30))
    assert {handle for _, handle, _ in rows} == {60.0}
    # One agent through the 15 h service day: no half hour short, and at least 1 h a day over
    # (a 4 h shift covers 4 h, an 8 h one 7.5 h with a break another shift must cover).
    coverage = "coverage: 32 agent-hours scheduled for 30 required (+2); 0 half hours under-covered"
    assert coverage in printed
    with ChdbStore(store_dir, "kefu") as store:
        shifts = store.query(SHIFTS).rows
    assert {day.isoformat() for day, *_ in shifts} == {"2026-12-07", "2026-12-08"}
    for day in {day for day, *_ in shifts}:
        hours = [(h, agents) for d, _, h, _, agents in shifts if d == day]
        on = sum(agents * (h - 0.5 if h >= 6 else h) for h, agents in hours)
        assert on == 16.0
    assert all(at.date() == day and at.hour >= 8 for day, at, *_ in shifts)
    for day, at, hours, _, agents in shifts:  # each stored shift is a printed row
        assert re.search(rf"{day:%a %m-%d} │ {at:%H:%M} │ {hours:g} │ [^│]*│ {agents} │", printed)


def test_a_shop_without_history_is_one_line_on_stderr(
    store_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["plan", "--store", str(store_dir), "--shop", "s9", "--from", "2026-12-07"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("kefu: no inquiries before 2026-12-07") and err.count("\n") == 1

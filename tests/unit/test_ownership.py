"""Input of a partition revoked while it was in hand is not applied: the worker no longer owns it."""

from faust.types import TP

from agents.ownership import Ownership


def test_a_revoked_partition_is_not_owned_until_assigned_again() -> None:
    owned = Ownership("kefu.events")
    assert 0 not in owned  # nothing before the first assignment
    owned.assigned({TP("kefu.events", 0), TP("kefu.events", 1), TP("kefu.raw.chat", 2)})
    assert 0 in owned and 1 in owned and 2 not in owned
    assert owned.revoked({TP("kefu.events", 1), TP("kefu.raw.chat", 1)}) == {1}
    assert 1 not in owned and 0 in owned
    owned.assigned({TP("kefu.events", 1)})  # the whole new assignment
    assert 1 in owned and 0 not in owned


def test_a_closed_owner_owns_nothing_even_when_assigned_again() -> None:
    owned = Ownership("kefu.events")
    owned.assigned({TP("kefu.events", 0)})
    owned.close()
    assert 0 not in owned and owned.closed
    owned.assigned({TP("kefu.events", 0)})
    assert 0 not in owned

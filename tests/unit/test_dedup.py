"""The seen-ids window: a redelivery is recognised; old ids are forgotten; checkpoints restore it."""

from agents.partition.dedup import SeenWindow

HOUR = 3_600_000


def test_second_delivery_is_recognised() -> None:
    seen = SeenWindow(HOUR)
    assert seen.first_time("a", 0)
    assert not seen.first_time("a", 0)


def test_old_ids_are_pruned_and_checkpoint_restores() -> None:
    seen = SeenWindow(HOUR)
    seen.first_time("old", 0)
    for i in range(20):
        seen.first_time(f"e{i}", 2 * HOUR + i)
    assert seen.first_time("old", 0)
    restored = SeenWindow(HOUR)
    restored.load(seen.take_new())
    assert not restored.first_time("e5", 2 * HOUR + 5)
    assert seen.take_new() == []

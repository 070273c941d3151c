"""Event ids seen lately on one partition: a second delivery of an event changes nothing."""

from __future__ import annotations


class SeenWindow:
    """Remembers event ids until their event time falls `retention_ms` behind the newest seen."""

    __slots__ = ("_at", "_new", "retention_ms", "_newest", "pruned_at")

    def __init__(self, retention_ms: int) -> None:
        self.retention_ms = retention_ms
        self._at: dict[str, int] = {}
        self._new: list[tuple[str, int]] = []
        self._newest = 0
        # When ids older than the window were last dropped; a checkpoint carries it, so a
        # restored window drops them when this one would.
        self.pruned_at = 0

    def first_time(self, event_id: str, at_ms: int) -> bool:
        if event_id in self._at:
            return False
        self._at[event_id] = at_ms
        self._new.append((event_id, at_ms))
        if at_ms > self._newest:
            self._newest = at_ms
            self._maybe_prune()
        return True

    def _maybe_prune(self) -> None:
        # Pruning scans everything, so do it once per retention/8 of event time, not per event.
        if self._newest - self.pruned_at >= self.retention_ms // 8:
            self._prune(self._newest)

    def _prune(self, newest: int) -> None:
        cutoff = newest - self.retention_ms
        self._at = {eid: at for eid, at in self._at.items() if at >= cutoff}
        self.pruned_at = newest

    @property
    def horizon_ms(self) -> int:
        """Ids of events older than this may have been forgotten: the window cannot judge them."""
        return self._newest - self.retention_ms

    def take_new(self) -> list[tuple[str, int]]:
        new, self._new = self._new, []
        return new

    def export_all(self) -> list[tuple[str, int]]:
        """Every id held with its event time (a full snapshot); the new ones are taken too."""
        self._new = []
        return list(self._at.items())

    def load(self, entries: list[tuple[str, int]], pruned_at: int | None = None) -> None:
        """Ids of a checkpoint, after the ids the window had dropped by then (`pruned_at`).

        Without `pruned_at` (checkpoints of releases before format 2) the window prunes as
        it would after new ids.
        """
        if pruned_at is not None and pruned_at > self.pruned_at:
            self._prune(pruned_at)
        for event_id, at_ms in entries:
            self._at[event_id] = at_ms
            self._newest = max(self._newest, at_ms)
        if pruned_at is None:
            self._maybe_prune()

    def __len__(self) -> int:
        return len(self._at)

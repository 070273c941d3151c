"""The script library (话术库): which prepared reply an agent reply uses, and candidates.

Agents rarely paste a script unchanged: they add 亲, drop a particle, change punctuation. A
reply therefore matches the closest of its shop's scripts by fuzzy similarity (rapidfuzz
`ratio`, 0..100) on folded text without punctuation, when the similarity reaches the
threshold. `suggest` lists frequent replies that match no script: candidates for the library.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from agents.qc.normalise import Normaliser

_NOISE = re.compile(r"\[[^\[\]]{1,6}\]|[\s,.!?~:;'\"()\-…，。！？、：；“”‘’（）【】《》·•^_]+")
DEFAULT_THRESHOLD = 85.0


@dataclass(frozen=True, slots=True)
class Script:
    """A prepared reply of a shop (快捷短语)."""

    script_id: str
    shop_id: str
    intent: str
    text: str


@dataclass(frozen=True, slots=True)
class ScriptMatch:
    """The script a reply uses and how close it is (0..100)."""

    script: Script
    score: float


@dataclass(frozen=True, slots=True)
class ScriptUse:
    """An agent reply that used a script: one row of `script_uses`."""

    event_id: str
    shop_id: str
    buyer_id: str
    agent_id: str
    occurred_at_ms: int
    script_id: str
    similarity: float


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A frequent reply no script covers: its commonest wording and how often it was sent."""

    shop_id: str
    text: str
    count: int


def parse_scripts(data: Any) -> tuple[Script, ...]:
    """`scripts: [{id, shop, intent, text}, ...]` as `Script`s; a bad entry is named."""
    entries = data.get("scripts") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        msg = "scripts file: expected `scripts:` with a list of {id, shop, intent, text}"
        raise ValueError(msg)
    found: list[Script] = []
    for n, entry in enumerate(entries):
        try:
            found.append(
                Script(
                    str(entry["id"]), str(entry["shop"]), str(entry["intent"]), str(entry["text"])
                )
            )
        except (KeyError, TypeError) as exc:
            msg = f"scripts file: entry {n} lacks id, shop, intent or text"
            raise ValueError(msg) from exc
    ids = [(s.shop_id, s.script_id) for s in found]
    if len(set(ids)) != len(ids):
        msg = "scripts file: a script id is repeated within a shop"
        raise ValueError(msg)
    return tuple(found)


class ScriptLibrary:
    """A shop's scripts, folded once, for matching replies as they arrive."""

    __slots__ = ("threshold", "scripts", "_fold", "_keys", "_scripts")

    def __init__(
        self,
        scripts: Iterable[Script],
        threshold: float = DEFAULT_THRESHOLD,
        fold: Callable[[str], str] | None = None,
    ) -> None:
        self.threshold = threshold
        self.scripts = tuple(scripts)
        self._fold = fold or Normaliser()
        self._keys: dict[str, list[str]] = defaultdict(list)
        self._scripts: dict[str, list[Script]] = defaultdict(list)
        for script in self.scripts:
            self._keys[script.shop_id].append(self.key(script.text))
            self._scripts[script.shop_id].append(script)

    @property
    def has_scripts(self) -> bool:
        return bool(self.scripts)

    def key(self, text: str) -> str:
        """What replies are compared on: folded text without punctuation or emoji codes."""
        return _NOISE.sub("", self._fold(text))

    def match(self, shop_id: str, reply: str) -> ScriptMatch | None:
        """The closest script of `shop_id` at or above the threshold, if any."""
        keys = self._keys.get(shop_id)
        if not keys:
            return None
        best = process.extractOne(
            self.key(reply), keys, scorer=fuzz.ratio, score_cutoff=self.threshold
        )
        if best is None:
            return None
        _, score, index = best
        return ScriptMatch(self._scripts[shop_id][index], float(score))

    def suggest(
        self, replies: Iterable[tuple[str, str]], min_count: int = 3, min_length: int = 4
    ) -> list[Suggestion]:
        """Replies (shop_id, text) sent at least `min_count` times that match no script."""
        counts: Counter[tuple[str, str]] = Counter()
        wordings: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for shop_id, text in replies:
            key = (shop_id, self.key(text))
            if len(key[1]) >= min_length:
                counts[key] += 1
                wordings[key][text] += 1
        found = [
            Suggestion(shop, wordings[(shop, k)].most_common(1)[0][0], n)
            for (shop, k), n in counts.items()
            if n >= min_count and self.match(shop, k) is None
        ]
        return sorted(found, key=lambda s: (-s.count, s.shop_id, s.text))

"""Complaint and regulator threats in buyer text (docs/metrics.md, "Escalations").

A tiny interface, `ThreatMatcher.find(text)`, so the quality-inspection matcher's
`complaint_threat` category can serve it later. Text and dictionary are normalised the same
way: full-width forms to half-width (NFKC), case-folded, and spaces inside digit runs removed,
so "１２３１５", "1 2 3 1 5" and "12315" are one word.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import ahocorasick

_DIGIT_GAP = re.compile(r"(?<=\d)\s+(?=\d)")


def normalise(text: str) -> str:
    return _DIGIT_GAP.sub("", unicodedata.normalize("NFKC", text).casefold())


class ThreatMatcher:
    """An Aho-Corasick automaton over the normalised dictionary: one pass per message."""

    __slots__ = ("_automaton",)

    def __init__(self, words: Iterable[str]) -> None:
        automaton = ahocorasick.Automaton()
        for word in words:
            key = normalise(word).strip()
            if not key:
                msg = f"threat word {word!r} is empty once normalised"
                raise ValueError(msg)
            automaton.add_word(key, word)
        if len(automaton) == 0:
            msg = "the threat dictionary is empty"
            raise ValueError(msg)
        automaton.make_automaton()
        self._automaton = automaton

    def find(self, text: str) -> list[str]:
        """The dictionary words found in the text, in order of their end, each once."""
        found: list[str] = []
        for _, word in self._automaton.iter(normalise(text)):
            if word not in found:
                found.append(word)
        return found

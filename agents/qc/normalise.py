"""Folding chat text for matching, and mapping a match back to the original text.

Agents dodge word lists with full-width digits, spaces or dots between characters,
homophones for 微信 and separators inside phone numbers; matching therefore runs on folded
text (docs/metrics.md#quality-inspection). A finding quotes the original, so `Trace` replays
the same stages keeping, for every folded character, the original range it came from. The
fast path runs on every message; a `Trace` is built only for a message with a finding.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

# A fold can expose another (加 v v -> 加微信v -> 加微信微信): stages repeat until nothing
# changes, which in practice is the first or second pass.
_PASSES = 4
_AFTER_ADD = "(?<=[加+])|(?<=[加+][我下个])"
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_GAP = " ._\\-/|~～·•^—–"
# Clause punctuation (，。、；) ends a number: only symbols that group digits join them.
_DIGIT_SEP = _GAP + ":："
_NUMERALS = "零〇一二三四五六七八九幺两壹贰叁肆伍陆柒捌玖"
_NUMERAL_DIGITS = "00123456789" + "12" + "123456789"
_FILLERS = "❤♥♡❣★☆✿❀✨*\u200b\u200c\u200d\u2060\ufeff\U0001f495\U0001f497\U0001f493\U0001f496"
_SPACES = "\t\n\r\x0b\x0c\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    chr(c) for c in range(0x2000, 0x200B)
)
# Full-width punctuation common in clean chat stays as is (patterns accept both forms), so
# most messages skip the translation entirely.
_FULLWIDTH_KEPT = "，！？（）～；"
_CONFUSABLES = dict(zip("аеорсхукмтвніјѕοανκρτυχι", "aeopcxykmtbhijsoavkptuxi", strict=True))
_DIGIT_BLOCKS = (range(0x80, 0x10000), range(0x1D7CE, 0x1D800))

# Disguises of 微信 and QQ seen in shop chats; configuration may add more.
DEFAULT_SUBSTITUTIONS: Mapping[str, Sequence[str]] = {
    "微信": (
        *("v", "vx", "wx", "vx信", "v信", "weixin", "wechat", "wei信", "微x", "微xin"),
        *("威信", "薇信", "徽信", "维信", "唯信", "危信", "围信", "魏信", "微芯"),
    ),
    "微": ("薇",),
    "qq": ("扣扣", "抠抠", "蔻蔻", "寇寇"),
    "qq号": ("企鹅号", "q号"),
}

Replace = Callable[[re.Match[str]], str]


def _digit(char: str) -> str | None:
    value = unicodedata.digit(char, None)
    return None if value is None or char.isascii() else str(value)


def _fold_char(char: str) -> str:
    low = char.lower() if len(char.lower()) == 1 else char
    return _CONFUSABLES.get(low, low)


def _base_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for code in range(0xFF01, 0xFF5F):
        if chr(code) not in _FULLWIDTH_KEPT:
            table[code] = chr(code - 0xFEE0).lower()
    table[ord("➕")] = "+"
    for code in (*range(0x41, 0x5B), *range(0xC0, 0x530)):
        if (folded := _fold_char(chr(code))) != chr(code):
            table[code] = folded
    for block in _DIGIT_BLOCKS:
        for code in block:
            if (digit := _digit(chr(code))) is not None:
                table[code] = digit
    table.update({ord(c): " " for c in _SPACES})
    table.update({ord(c): None for c in _FILLERS})
    return table


_BASE_TABLE = _base_table()


def _translation(traditional: Mapping[str, str]) -> dict[int, str | None]:
    table = dict(_BASE_TABLE)
    for trad, simp in traditional.items():
        if len(trad) != 1 or len(simp) != 1:
            msg = f"traditional mapping must be one character to one, got {trad!r}: {simp!r}"
            raise ValueError(msg)
        if trad != simp:
            table[ord(trad)] = simp
    # A value that is itself a key would make a second pass change the text again.
    return {k: (table.get(ord(v), v) if v else v) for k, v in table.items()}


def _char_class(codes: Iterable[int]) -> str:
    """A character class of ranges: much faster to search than the same chars one by one."""
    ordered = sorted(set(codes))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        last = f"-{re.escape(chr(ordered[j]))}" if j > i else ""
        parts.append(re.escape(chr(ordered[i])) + last)
        i = j + 1
    return "[" + "".join(parts) + "]"


def _variant_pattern(variant: str) -> str:
    parts = [re.escape(variant[0])]
    for before, after in zip(variant, variant[1:], strict=False):
        joined = not (before.isascii() and after.isascii())
        parts.append((f"[{_GAP}]*" if joined else "") + re.escape(after))
    head = "(?<![a-z0-9])" if variant[0].isascii() else ""
    tail = ("(?![a-z0-9])" if len(variant) == 1 else "(?![a-z])") if variant[-1].isascii() else ""
    return head + "".join(parts) + tail


@dataclass(frozen=True, slots=True)
class _Stage:
    """One regex rewrite; it can change only a text holding one of its `triggers` (code
    points), so a text without any skips it."""

    pattern: re.Pattern[str]
    replace: Replace
    triggers: frozenset[int]

    def precheck(self) -> Callable[[str], object]:
        return re.compile(_char_class(self.triggers)).search

    def track(
        self, text: str, starts: list[int], ends: list[int]
    ) -> tuple[str, list[int], list[int]]:
        out: list[str] = []
        new_starts: list[int] = []
        new_ends: list[int] = []
        pos = 0
        for m in self.pattern.finditer(text):
            a, b = m.span()
            rep = self.replace(m)
            out += (text[pos:a], rep)
            new_starts += starts[pos:a]
            new_ends += ends[pos:a]
            if len(rep) == b - a:
                new_starts += starts[a:b]
                new_ends += ends[a:b]
            else:
                new_starts += [starts[a]] * len(rep)
                new_ends += [ends[b - 1]] * len(rep)
            pos = b
        out.append(text[pos:])
        return "".join(out), new_starts + starts[pos:], new_ends + ends[pos:]


def _fold_stage(substitutions: Mapping[str, Sequence[str]]) -> _Stage:
    canonical = {v: c for c, variants in substitutions.items() for v in variants if v != c}
    # 薇 folds to 微 and 微x to 微信, so 薇x must fold to 微信 in the same pass.
    singles = {v: c for v, c in canonical.items() if len(v) == len(c) == 1}
    for variant, target in list(canonical.items()):
        for alias, char in singles.items():
            canonical.setdefault(variant.replace(char, alias), target)
    ordered = sorted(canonical, key=len, reverse=True)
    # Right after 加/+ a Latin disguise may run straight into the id (加vabc123, +wxabc123).
    glued = "|".join(re.escape(v) for v in ordered if v.isascii() and v.isalpha())
    cued = [f"(?:{_AFTER_ADD})(?:{glued})"] if glued else []
    pattern = re.compile("|".join(cued + [_variant_pattern(v) for v in ordered]))
    strip = re.compile(f"[{_GAP}]")

    def replace(m: re.Match[str]) -> str:
        return canonical[strip.sub("", m.group())]

    return _Stage(pattern, replace, frozenset(ord(v[0]) for v in ordered))


def _codes(chars: str) -> frozenset[int]:
    return frozenset(map(ord, chars))


def _delete(_m: re.Match[str]) -> str:
    return ""


_NUMERAL_TABLE = str.maketrans(_NUMERALS, _NUMERAL_DIGITS)


def _numerals(m: re.Match[str]) -> str:
    return m.group().translate(_NUMERAL_TABLE)


_DIGITISH = f"[0-9{_NUMERALS}]"
_GAPS = _Stage(
    re.compile(f"(?<=[{_CJK}])[{_GAP}]+(?=[{_CJK}])|(?<![a-z0-9]) +| +(?![a-z0-9])"),
    _delete,
    _codes(_GAP.replace("\\", "")),
)
_NUMERAL_RUNS = _Stage(
    re.compile(f"{_DIGITISH}(?:[{_DIGIT_SEP}]*{_DIGITISH}){{6,}}"), _numerals, _codes(_NUMERALS)
)
_DIGIT_SEPS = _Stage(
    re.compile(f"(?<=[0-9])[{_DIGIT_SEP}]+(?=[0-9])"), _delete, _codes("0123456789")
)


@dataclass(frozen=True, slots=True)
class Trace:
    """A folded text with, for each folded character, the original range it came from."""

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original range behind the folded range [start, end)."""
        return self.starts[start], self.ends[end - 1]

    def quote(self, start: int, end: int) -> str:
        a, b = self.span(start, end)
        return self.original[a:b]


class Normaliser:
    """Full-width, case, traditional and disguise folding; built once per configuration."""

    __slots__ = ("_table", "_suspect", "_stages", "_fast", "_loud")

    def __init__(
        self,
        traditional: Mapping[str, str] | None = None,
        substitutions: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self._table = _translation(traditional or {})
        self._suspect = re.compile(_char_class(self._table)).search
        subs = DEFAULT_SUBSTITUTIONS if substitutions is None else substitutions
        self._stages = (_fold_stage(subs), _GAPS, _NUMERAL_RUNS, _DIGIT_SEPS)
        # Bound methods up front: this runs on every message and call overhead dominates.
        self._fast = tuple((s.precheck(), s.pattern.sub, s.replace) for s in self._stages)
        # Most chat holds no character any step rewrites: one search settles that it is left
        # as it is.
        triggers = set(self._table).union(*(s.triggers for s in self._stages))
        self._loud = re.compile(_char_class(triggers)).search

    def __call__(self, text: str) -> str:
        if not self._loud(text):
            return text
        if self._suspect(text):
            text = text.translate(self._table)
        for _ in range(_PASSES):
            before = text
            for precheck, sub, replace in self._fast:
                if precheck(text):
                    text = sub(replace, text)
            if text == before:
                break
        return text

    def trace(self, text: str) -> Trace:
        chars: list[str] = []
        starts: list[int] = []
        for i, char in enumerate(text):
            folded = self._table.get(ord(char), char)
            if folded:
                chars.append(folded)
                starts.append(i)
        folded_text, ends = "".join(chars), [i + 1 for i in starts]
        for _ in range(_PASSES):
            before = folded_text
            for stage in self._stages:
                folded_text, starts, ends = stage.track(folded_text, starts, ends)
            if folded_text == before:
                break
        return Trace(text, folded_text, tuple(starts), tuple(ends))

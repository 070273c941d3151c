"""Folding returns a text with no character any step rewrites as it is, without running the
steps: on any text, the fast path equals the traced one, which runs every step."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.qc.normalise import Normaliser

FOLD = Normaliser({"電": "电", "話": "话"})
CJK_AND_PUNCTUATION = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.sampled_from(list("，。？！：；（）～~ 0123456789一二三微信vVＶ.-")),
    ),
    max_size=40,
)


@settings(max_examples=2000, deadline=None)
@given(st.one_of(st.text(max_size=40), CJK_AND_PUNCTUATION))
def test_the_quiet_path_equals_every_step_run(text: str) -> None:
    assert FOLD(text) == FOLD.trace(text).text

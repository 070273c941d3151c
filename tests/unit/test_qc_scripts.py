"""The script library (话术库): matching replies to scripts and suggesting new ones."""

from __future__ import annotations

import pytest

from agents.qc.scripts import Script, ScriptLibrary

SCRIPTS = [
    Script("c1", "s1", "coupon", "亲，店铺首页可以领3元无门槛券哦"),
    Script("d1", "s1", "delivery", "亲，付款后48小时内发货"),
    Script("r1", "s1", "refund", "亲，退款原路返回，一般1-3个工作日到账"),
    Script("d2", "s2", "delivery", "付款后24小时内发货的亲"),
]
LIBRARY = ScriptLibrary(SCRIPTS)


@pytest.mark.parametrize(
    ("reply", "script_id"),
    [
        ("亲，付款后48小时内发货", "d1"),
        ("亲 付款后48小时内发货哦~", "d1"),
        ("亲亲，店铺首页可以领3元无门槛券！", "c1"),
        ("退款原路返回的亲，一般1-3个工作日到账", "r1"),
        ("亲，退款原路返回，一般１－３个工作日到账", "r1"),
    ],
)
def test_an_edited_script_still_matches_its_script(reply: str, script_id: str) -> None:
    found = LIBRARY.match("s1", reply)
    assert found is not None and found.script.script_id == script_id
    assert LIBRARY.threshold <= found.score <= 100


@pytest.mark.parametrize("reply", ["好的亲", "亲，这款是纯棉的", "付款后48小时内"])
def test_unrelated_or_partial_replies_match_nothing(reply: str) -> None:
    assert LIBRARY.match("s1", reply) is None


def test_scripts_belong_to_their_shop() -> None:
    assert LIBRARY.match("s3", "亲，付款后48小时内发货") is None
    found = LIBRARY.match("s2", "付款后24小时内发货的亲")
    assert found is not None and found.script.script_id == "d2"


def test_the_threshold_is_configuration() -> None:
    loose = ScriptLibrary(SCRIPTS, threshold=50)
    assert loose.match("s1", "付款后48小时内") is not None


def test_suggest_lists_frequent_replies_no_script_covers() -> None:
    replies = [("s1", "亲，这款是纯棉的，不起球")] * 4 + [("s1", "亲，这款是纯棉的，不起球！")]
    replies += [("s1", "亲，付款后48小时内发货")] * 9  # covered by d1
    replies += [("s1", "亲，可以开发票")] * 2  # too rare
    replies += [("s2", "好的")] * 9  # too short to be a script
    assert [(s.shop_id, s.text, s.count) for s in LIBRARY.suggest(replies)] == [
        ("s1", "亲，这款是纯棉的，不起球", 5)
    ]


def test_a_scripts_file_names_its_bad_entries() -> None:
    from agents.qc.scripts import parse_scripts

    good = {"scripts": [{"id": "x", "shop": "s1", "intent": "greet", "text": "您好"}]}
    assert parse_scripts(good)[0].script_id == "x"
    with pytest.raises(ValueError, match="entry 0"):
        parse_scripts({"scripts": [{"id": "x", "shop": "s1"}]})
    with pytest.raises(ValueError, match="repeated"):
        parse_scripts({"scripts": good["scripts"] * 2})
    with pytest.raises(ValueError, match="expected"):
        parse_scripts({"scripts": "none"})

"""Surface forms for the QC evaluation set: how chat disguises a phrase, number or id.

Held-out forms are composed here, independently of the QC dictionary: separators and
full-width digits applied to phone numbers, Chinese and circled numerals, homophones and
look-alike letters for 微信, spaces and symbols between characters, traditional characters.
Everything draws from the `random.Random` it is given, so a seed fixes the set.
"""

from __future__ import annotations

import random
import string

_CJK_LO, _CJK_HI = 0x3400, 0x9FFF
_TRADITIONAL = dict(
    zip(
        "买卖烦说贵别关么废话网价级国业质无证发货会坏满额还评现单问题给诉们处台猪吗脑残况该应这个点"
        "优钱邮电号码转账进宝链联系机头样东车时间开门长专种过达运远选边线页顶销疗赔团购赠计记许设试"
        "讯语调谈请论讲识护读财费资软较载轻输办连还违递乡医针铺错锅钟闭队阳险随杂鸡离难灵响项须预领",
        "買賣煩說貴別關麼廢話網價級國業質無證發貨會壞滿額還評現單問題給訴們處臺豬嗎腦殘況該應這個點"
        "優錢郵電號碼轉賬進寶鏈聯係機頭樣東車時間開門長專種過達運遠選邊線頁頂銷療賠團購贈計記許設試"
        "訊語調談請論講識護讀財費資軟較載輕輸辦連還違遞鄉醫針鋪錯鍋鐘閉隊陽險隨雜雞離難靈響項須預領",
        strict=True,
    )
)
_WECHAT = ("VX", "vx", "ＶＸ", "wx", "WX", "威信", "薇信", "薇", "微 信", "微.信", "微❤信", "V信",
           "wei信", "Ｖ", "V", "v", "徽信", "维信", "ｗｘ", "微x", "WeChat", "vх")  # fmt: skip
_QQ = ("QQ", "qq", "扣扣", "ＱＱ", "抠抠", "Q Q", "企鹅号")
_ADD = ("加", "+", "＋", "➕", "加我", "加下", "+我")
_FILLERS = (" ", "❤", "★", "·", ".", "-", "~", "*", "♥", "\u200b")
_SEPARATORS = (" ", "-", ".", "—", "_", "、", "  ", "·", "/", "～")
_CHINESE = "零一二三四五六七八九"
_CIRCLED = "⓪①②③④⑤⑥⑦⑧⑨"
_HOMOGLYPHS = dict(zip("aeopcxy", "аеорсху", strict=True))


def fullwidth(text: str) -> str:
    """ASCII letters, digits and symbols as their full-width forms."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def traditional(text: str) -> str:
    return "".join(_TRADITIONAL.get(c, c) for c in text)


def _is_cjk(char: str) -> bool:
    return _CJK_LO <= ord(char) <= _CJK_HI


def interleave(rng: random.Random, text: str) -> str:
    """A filler (space, ❤, dot ...) between neighbouring CJK characters of `text`."""
    filler = rng.choice(_FILLERS)
    out = [text[0]]
    for before, char in zip(text, text[1:], strict=False):
        out.append(filler + char if _is_cjk(before) and _is_cjk(char) else char)
    return "".join(out)


def mixed_case(rng: random.Random, text: str) -> str:
    return "".join(c.upper() if rng.random() < 0.5 else c for c in text)


def disguise(rng: random.Random, text: str) -> str:
    """One or two composed disguises of a phrase."""
    forms = (interleave, mixed_case)
    text = rng.choice(forms)(rng, text)
    if rng.random() < 0.5:
        text = traditional(text)
    if rng.random() < 0.3:
        text = fullwidth(text)
    return text


def mobile(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + "".join(rng.choice(string.digits) for _ in range(9))


def _grouped(rng: random.Random, digits: str) -> str:
    sep = rng.choice(_SEPARATORS)
    if rng.random() < 0.5:
        return sep.join((digits[:3], digits[3:7], digits[7:]))
    return sep.join(digits)


def spelled_number(rng: random.Random, digits: str, mobile: bool = True) -> str:
    """A number as chat disguises it: grouped, full-width, Chinese or circled, +86."""
    form = rng.randrange(6 if mobile else 4)
    if form == 0:
        return _grouped(rng, digits)
    if form == 1:
        return fullwidth(_grouped(rng, digits) if rng.random() < 0.5 else digits)
    if form == 2:
        return "".join(_CHINESE[int(d)] if rng.random() < 0.8 else d for d in digits)
    if form == 3:
        return "".join(_CIRCLED[int(d)] for d in digits)
    if form == 4:
        return rng.choice(("+86 ", "+86", "86-", "＋８６ ")) + _grouped(rng, digits)
    return digits.replace("1", "幺", 1) if digits.startswith("1") else digits


def wechat_id(rng: random.Random) -> str:
    head = rng.choice(string.ascii_lowercase)
    body = "".join(rng.choice(string.ascii_lowercase + string.digits + "_") for _ in range(7))
    return head + body + rng.choice(string.digits)


def disguised_id(rng: random.Random, ident: str) -> str:
    if rng.random() < 0.3:
        return "".join(_HOMOGLYPHS.get(c, c) for c in ident)
    return fullwidth(ident) if rng.random() < 0.5 else ident.upper()


def qq_number(rng: random.Random) -> str:
    return str(rng.randint(10_000_000, 3_999_999_999))


def wechat_word(rng: random.Random) -> str:
    return rng.choice(_WECHAT)


def qq_word(rng: random.Random) -> str:
    return rng.choice(_QQ)


def add_word(rng: random.Random) -> str:
    return rng.choice(_ADD)


def order_number(rng: random.Random, inside: str = "") -> str:
    """A platform order number (YYMMDD-15 digits), optionally holding `inside` in its digits."""
    tail = "".join(rng.choice(string.digits) for _ in range(15 - len(inside)))
    at = rng.randrange(len(tail) + 1)
    day = f"{rng.randint(24, 26):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    return f"{day}-{tail[:at]}{inside}{tail[at:]}"


def tracking_number(rng: random.Random) -> str:
    """Courier numbers: never 11 digits starting 1[3-9]."""
    digits = "".join(rng.choice(string.digits) for _ in range(12))
    return rng.choice(("SF1", "YT9", "JT0", "75", "43")) + digits

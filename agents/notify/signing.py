"""The robot signature schemes, as their vendors document them."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote_plus


def dingtalk_sign(timestamp_ms: int, secret: str) -> str:
    """DingTalk: base64(HMAC-SHA256(key=secret, msg="timestamp\\nsecret")), URL-encoded."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return quote_plus(base64.b64encode(digest).decode())


def feishu_sign(timestamp_s: int, secret: str) -> str:
    """Feishu: base64(HMAC-SHA256(key="timestamp\\nsecret", msg=b"")), in the JSON body."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()

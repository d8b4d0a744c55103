"""Expiring signed media URLs: HMAC-SHA256 over scope + expiry + user.

The signature sits in the URL *path* (``/media/s/<user>/<exp>/<sig>/<scope>/...``),
not the query string, so relative URIs inside HLS playlists (``360p/index.m3u8``,
``seg_00001.ts``) resolve to URLs that carry the same signature; no playlist
rewriting per viewer is needed. The scope is an asset prefix
(``videos/<asset_id>`` or ``live/<session_id>``): one signature grants exactly
that asset's files, and any path outside it fails verification.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

from apps_api.streaming.storage import UnsafeKeyError, safe_key

MEDIA_PREFIX = "/media/s"


class SignatureError(PermissionError):
    """Tampered, expired or out-of-scope media URL (HTTP 403)."""


def _sig(secret: str, scope: str, exp: int, user_id: str) -> str:
    msg = f"v1\n{scope}\n{exp}\n{user_id}".encode()
    digest = hmac.new(secret.encode(), msg, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _check_user(user_id: str) -> str:
    if not user_id or "/" in user_id or len(user_id) > 80:
        raise ValueError("user id cannot appear in a media URL")
    return user_id


def sign_scope(secret: str, scope: str, user_id: str, ttl_s: int, now: float | None = None) -> tuple[int, str]:
    """(expires_at, signature) granting ``user_id`` every file under ``scope`` until expiry."""
    if scope_of(f"{safe_key(scope)}/x") != scope:
        raise ValueError(f"not a signable scope: {scope!r}")
    exp = int((now if now is not None else time.time()) + ttl_s)
    return exp, _sig(secret, scope, exp, _check_user(user_id))


def sign_url(secret: str, scope: str, path_in_scope: str, user_id: str, ttl_s: int,
             now: float | None = None, prefix: str = MEDIA_PREFIX) -> tuple[str, int]:
    """Return (url, expires_at) for ``scope/path_in_scope`` under the media route ``prefix``."""
    safe_key(f"{scope}/{path_in_scope}")
    exp, sig = sign_scope(secret, scope, user_id, ttl_s, now)
    return f"{prefix}/{user_id}/{exp}/{sig}/{scope}/{path_in_scope}", exp


@dataclass(frozen=True)
class Grant:
    user_id: str
    expires_at: int
    scope: str
    key: str  # full storage key (scope + path), already safety-checked


def scope_of(key: str) -> str:
    """``videos/<id>/...`` -> ``videos/<id>``; scopes are always two segments."""
    parts = key.split("/")
    if len(parts) < 3 or parts[0] not in ("videos", "live"):
        raise SignatureError("media path is outside any signable scope")
    return "/".join(parts[:2])


def verify(secret: str, user_id: str, exp: str, sig: str, key: str, now: float | None = None) -> Grant:
    try:
        key = safe_key(key)
    except UnsafeKeyError:
        raise SignatureError("invalid media path") from None
    if not (exp.isascii() and exp.isdigit() and len(exp) <= 12):  # "²".isdigit() is True
        raise SignatureError("invalid expiry")
    scope = scope_of(key)
    expected = _sig(secret, scope, int(exp), user_id)
    if not hmac.compare_digest(expected, sig):
        raise SignatureError("media signature is invalid")
    if int(exp) < (now if now is not None else time.time()):
        raise SignatureError("media URL has expired; request a new one")
    return Grant(user_id, int(exp), scope, key)

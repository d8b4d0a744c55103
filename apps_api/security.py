"""Password hashing (argon2id), JWT access tokens and opaque refresh tokens.

Access tokens are short-lived JWTs (stateless checks on every request).
Refresh tokens are random opaque strings stored only as SHA-256 hashes, rotated
on every use; each belongs to a *family* so that replay of a used token can
revoke every descendant (theft detection, see ``routers/auth.py``).
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ALGORITHM = "HS256"


class TokenError(ValueError):
    """Invalid, expired or wrong-type token."""


def make_hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def verify_password(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    role: str
    expires_at: int


def create_access_token(secret: str, user_id: str, role: str, ttl_s: int) -> str:
    now = int(time.time())
    payload = {"sub": user_id, "role": role, "iat": now, "exp": now + ttl_s, "typ": "access",
               "jti": uuid.uuid4().hex}
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def decode_access_token(secret: str, token: str) -> AccessClaims:
    try:
        data: dict[str, Any] = jwt.decode(token, secret, algorithms=[ALGORITHM],
                                          options={"require": ["sub", "exp", "typ"]})
    except jwt.ExpiredSignatureError:
        raise TokenError("access token expired; refresh it") from None
    except jwt.PyJWTError:
        raise TokenError("invalid access token") from None
    if data.get("typ") != "access":
        raise TokenError("not an access token")
    return AccessClaims(user_id=str(data["sub"]), role=str(data.get("role", "learner")),
                        expires_at=int(data["exp"]))


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

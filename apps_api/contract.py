"""The input contract every request body and query obeys, in one place.

Each rule here closes a way a well-formed-looking request used to reach the
database and fail there with a 500: PostgreSQL refuses NUL in text, UTF-8
encoding refuses unpaired surrogates, a 32-bit column refuses 2**40, SQLite
refuses 2**63, the event schemas strip whitespace that the API kept (so a
blank title passed here and failed at publish), and a naive datetime cannot be
compared with the UTC times the platform stores. Values that break a rule are
a 422 naming the field, before any work is done.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints
from pydantic import Strict as StrictMode

INT32_MAX = 2**31 - 1
BIGINT_MAX = 2**62
MONEY_MAX = 10**12  # minor units; BIGINT columns, far below 2**63


def reject_unstorable(value: str) -> str:
    """Refuse NUL and unpaired surrogates: no database or encoder can keep them."""
    if "\x00" in value:
        raise ValueError("text must not contain NUL (\\u0000) characters")
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("text must be valid Unicode (no unpaired surrogate code points)")
    return value


def Text(max_length: int, min_length: int = 0) -> object:  # noqa: N802 - reads as a type
    """Free text, stripped exactly as the event schemas strip it, then length-checked."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
                     AfterValidator(reject_unstorable)]


def Raw(max_length: int, min_length: int = 0, pattern: str | None = None) -> object:  # noqa: N802
    """Text kept byte for byte (passwords, tokens, ids) but still storable and encodable."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length, pattern=pattern),
                     AfterValidator(reject_unstorable)]


def Count(ge: int = 0, le: int = INT32_MAX) -> object:  # noqa: N802
    """A strict integer (no booleans, no numeric strings) that fits a 32-bit column."""
    return Annotated[int, StrictMode(), Field(ge=ge, le=min(le, INT32_MAX))]


def Money(ge: int = 0, le: int = MONEY_MAX) -> object:  # noqa: N802
    """Strict integer minor units: ``true`` or ``"100"`` is not an amount."""
    return Annotated[int, StrictMode(), Field(ge=ge, le=le)]


def ByteCount(ge: int = 0) -> object:  # noqa: N802
    """A strict size in bytes that fits a BIGINT column (the route enforces its own limit)."""
    return Annotated[int, StrictMode(), Field(ge=ge, le=BIGINT_MAX)]


UtcDatetime = AwareDatetime  # a timestamp without an offset is ambiguous: refused

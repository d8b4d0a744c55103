"""Users and tokens: registration, login, refresh-token rotation with reuse detection."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from apps_api.db import new_id, utcnow
from apps_api.errors import ApiError
from apps_api.models import RefreshToken, User
from apps_api.outbox import emit
from apps_api.security import create_access_token, hash_token, new_refresh_token, verify_password
from apps_api.state import AppState

_INVALID_LOGIN = "email or password is wrong"


def create_user(session: Session, state: AppState, *, email: str, password: str, role: str = "learner",
                display_name: str = "", country: str = "IN") -> User:
    """Create a user and stage ``user.registered``; 409 when the email is taken. Caller commits."""
    email = email.strip().lower()
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ApiError(409, f"an account for {email} already exists; log in instead")
    user = User(id=new_id("usr"), email=email, password_hash=state.hasher.hash(password), role=role,
                display_name=display_name, country=country)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise ApiError(409, f"an account for {email} already exists; log in instead") from None
    emit(session, "user.registered", user_id=user.id, role=role, country=country)
    return user


def issue_tokens(session: Session, state: AppState, user: User, family_id: str | None = None) -> dict:
    refresh = new_refresh_token()
    session.add(RefreshToken(id=new_id("rt"), user_id=user.id, family_id=family_id or new_id("fam"),
                             token_hash=hash_token(refresh),
                             expires_at=utcnow() + timedelta(seconds=state.settings.refresh_token_ttl_s)))
    access = create_access_token(state.jwt_secret, user.id, user.role, state.settings.access_token_ttl_s)
    return {"access_token": access, "refresh_token": refresh, "token_type": "bearer",
            "expires_in": state.settings.access_token_ttl_s}


def login(session: Session, state: AppState, email: str, password: str) -> dict:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        state.hasher.hash(password)  # same work as a real check: no user-enumeration timing signal
        raise ApiError(401, _INVALID_LOGIN)
    if not verify_password(state.hasher, user.password_hash, password):
        raise ApiError(401, _INVALID_LOGIN)
    return issue_tokens(session, state, user)


def revoke_family(session: Session, family_id: str) -> None:
    session.execute(update(RefreshToken).where(RefreshToken.family_id == family_id,
                                               RefreshToken.revoked_at.is_(None)).values(revoked_at=utcnow()))


def refresh(session: Session, state: AppState, token: str) -> tuple[dict | None, str | None]:
    """Rotate a refresh token. Returns (tokens, None) or (None, error detail).

    Reuse of an already-rotated token means it leaked: the whole family is
    revoked (the caller commits that before answering 401).
    """
    row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == hash_token(token))
                         .with_for_update())
    if row is None:
        return None, "unknown refresh token; log in again"
    if row.revoked_at is not None:
        return None, "refresh token revoked; log in again"
    if row.used_at is not None:
        revoke_family(session, row.family_id)
        return None, "refresh token reuse detected; all sessions of this login were revoked, log in again"
    if row.expires_at <= utcnow():
        return None, "refresh token expired; log in again"
    claimed = session.execute(update(RefreshToken).where(RefreshToken.id == row.id,
                                                         RefreshToken.used_at.is_(None))
                              .values(used_at=utcnow()))
    if claimed.rowcount != 1:  # a concurrent refresh won the race: treat as reuse
        revoke_family(session, row.family_id)
        return None, "refresh token reuse detected; all sessions of this login were revoked, log in again"
    user = session.get(User, row.user_id)
    assert user is not None
    return issue_tokens(session, state, user, family_id=row.family_id), None


def logout(session: Session, token: str) -> None:
    row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == hash_token(token)))
    if row is not None:
        revoke_family(session, row.family_id)

"""Shared FastAPI dependencies; the public surface other areas import.

* ``SessionDep`` / ``ReadSessionDep``: a SQLAlchemy session per request (call
  ``session.commit()`` yourself; anything uncommitted is rolled back).
* ``CurrentUser`` (401 without a valid bearer token), ``OptionalUser``.
* ``require_role("admin", ...)`` and ``require_permission("ledger:read")``:
  dependencies that return the :class:`Principal` or answer 403.
* ``is_enrolled`` / ``can_view_lesson``: the enrollment checks, e.g. for the
  tutor and video playback routers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from apps_api.errors import ApiError
from apps_api.models import Course, Enrollment, Lesson
from apps_api.security import TokenError, decode_access_token
from apps_api.state import AppState

LEARNER_PERMISSIONS = frozenset({"course:read", "cart:write", "order:create", "enroll", "progress:write"})
INSTRUCTOR_PERMISSIONS = LEARNER_PERMISSIONS | {"course:write"}
ADMIN_PERMISSIONS = INSTRUCTOR_PERMISSIONS | {
    "course:write:any", "coupon:write", "ledger:read", "payment:refund", "payment:review",
    "user:read:any", "user:admin", "outbox:relay", "order:read:any", "fraud:rules",
}
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "learner": LEARNER_PERMISSIONS, "instructor": INSTRUCTOR_PERMISSIONS, "admin": ADMIN_PERMISSIONS,
}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, from the access token (no database hit)."""

    id: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can(self, permission: str) -> bool:
        return permission in ROLE_PERMISSIONS.get(self.role, frozenset())


def get_state(request: Request) -> AppState:
    return request.app.state.suuupra


StateDep = Annotated[AppState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    with state.db.session() as session:
        yield session


def get_read_session(state: StateDep) -> Iterator[Session]:
    with state.db.read_session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]

_bearer = HTTPBearer(auto_error=False, description="Access token from /api/v1/auth/login")


def get_optional_user(
    state: StateDep, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal | None:
    if creds is None:
        return None
    try:
        claims = decode_access_token(state.jwt_secret, creds.credentials)
    except TokenError as exc:
        raise ApiError(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
    return Principal(id=claims.user_id, role=claims.role)


OptionalUser = Annotated[Principal | None, Depends(get_optional_user)]


def get_current_user(user: OptionalUser) -> Principal:
    if user is None:
        raise ApiError(401, "authentication required: send 'Authorization: Bearer <access token>'",
                       headers={"WWW-Authenticate": "Bearer"})
    return user


CurrentUser = Annotated[Principal, Depends(get_current_user)]


def require_role(*roles: str) -> Callable[[Principal], Principal]:
    """Dependency factory: ``Depends(require_role("admin"))``."""

    def _check(user: CurrentUser) -> Principal:
        if user.role not in roles:
            raise ApiError(403, f"this action needs role {' or '.join(roles)}; you are {user.role}")
        return user

    return _check


def require_permission(permission: str) -> Callable[[Principal], Principal]:
    """Dependency factory enforcing one permission per route."""

    def _check(user: CurrentUser) -> Principal:
        if not user.can(permission):
            raise ApiError(403, f"missing permission {permission!r} (role {user.role})")
        return user

    return _check


def is_enrolled(session: Session, learner_id: str, course_id: str) -> bool:
    return session.scalar(
        select(Enrollment.id).where(Enrollment.learner_id == learner_id, Enrollment.course_id == course_id,
                                    Enrollment.status == "active")
    ) is not None


def is_free_preview(session: Session, lesson_id: str) -> bool:
    return bool(session.scalar(select(Lesson.is_free_preview).where(Lesson.id == lesson_id)))


def can_view_lesson(session: Session, user: Principal | None, lesson: Lesson) -> bool:
    """Free previews of published courses for everyone; full lessons for the enrolled,
    the course's instructor and admins."""
    course = session.get(Course, lesson.course_id)
    if course is None:
        return False
    if user is not None and (user.is_admin or course.instructor_id == user.id):
        return True
    if course.status != "published":
        return False
    if lesson.is_free_preview:
        return True
    return user is not None and is_enrolled(session, user.id, course.id)

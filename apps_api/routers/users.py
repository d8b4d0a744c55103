"""The caller's profile and per-user reads (self or admin only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from sqlalchemy import select

from apps_api.deps import CurrentUser, Principal, ReadSessionDep, SessionDep, require_permission
from apps_api.errors import ApiError
from apps_api.models import Enrollment, LessonProgress, Order, User
from apps_api.schemas import EnrollmentOut, OrderOut, ProgressOut, RoleIn, UserOut

router = APIRouter(tags=["users"])
UserId = Annotated[str, Path(min_length=1, max_length=40)]


def _self_or_admin(user: Principal, user_id: str) -> None:
    if user.id != user_id and not user.can("user:read:any"):
        raise ApiError(403, "you can only read your own data")


@router.get("/users/me", response_model=UserOut)
def me(user: CurrentUser, session: ReadSessionDep) -> UserOut:
    row = session.get(User, user.id)
    if row is None:
        raise ApiError(401, "unknown user; log in again")
    return UserOut.model_validate(row)


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(user_id: UserId, user: CurrentUser, session: ReadSessionDep) -> UserOut:
    _self_or_admin(user, user_id)
    row = session.get(User, user_id)
    if row is None:
        raise ApiError(404, f"user {user_id} not found")
    return UserOut.model_validate(row)


@router.get("/users/{user_id}/enrollments", response_model=list[EnrollmentOut])
def user_enrollments(user_id: UserId, user: CurrentUser, session: ReadSessionDep) -> list[EnrollmentOut]:
    _self_or_admin(user, user_id)
    rows = session.scalars(select(Enrollment).where(Enrollment.learner_id == user_id).order_by(Enrollment.id))
    return [EnrollmentOut.model_validate(r) for r in rows]


@router.get("/users/{user_id}/orders", response_model=list[OrderOut])
def user_orders(user_id: UserId, user: CurrentUser, session: ReadSessionDep) -> list[OrderOut]:
    _self_or_admin(user, user_id)
    rows = session.scalars(select(Order).where(Order.learner_id == user_id).order_by(Order.id.desc()))
    return [OrderOut.model_validate(r) for r in rows]


@router.get("/users/{user_id}/progress", response_model=list[ProgressOut])
def user_progress(user_id: UserId, user: CurrentUser, session: ReadSessionDep) -> list[ProgressOut]:
    _self_or_admin(user, user_id)
    rows = session.scalars(select(LessonProgress).where(LessonProgress.learner_id == user_id)
                           .order_by(LessonProgress.id))
    return [ProgressOut.model_validate(r) for r in rows]


@router.put("/admin/users/{user_id}/role", response_model=UserOut, tags=["admin"])
def set_role(user_id: UserId, body: RoleIn, session: SessionDep,
             _admin: Annotated[Principal, Depends(require_permission("user:admin"))]) -> UserOut:
    row = session.get(User, user_id)
    if row is None:
        raise ApiError(404, f"user {user_id} not found")
    row.role = body.role
    session.commit()
    return UserOut.model_validate(row)

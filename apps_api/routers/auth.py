"""Register, login, refresh (rotating) and logout."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from apps_api.deps import SessionDep, StateDep
from apps_api.errors import ApiError
from apps_api.schemas import LoginIn, RefreshIn, RegisterIn, TokenPair, UserOut
from apps_api.services import identity

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/register", status_code=201, response_model=UserOut)
def register(body: RegisterIn, session: SessionDep, state: StateDep) -> UserOut:
    user = identity.create_user(session, state, email=body.email, password=body.password, role=body.role,
                                display_name=body.display_name, country=body.country)
    session.commit()
    return UserOut.model_validate(user)


@router.post("/login", response_model=TokenPair)
def login(body: LoginIn, request: Request, session: SessionDep, state: StateDep) -> TokenPair:
    """Failed passwords back off per account and per address (429 with Retry-After)."""
    address = request.client.host if request.client else "unknown"
    state.login_throttle.check(body.email, address)
    try:
        tokens = identity.login(session, state, body.email, body.password)
    except ApiError as exc:
        if exc.status == 401:
            state.login_throttle.failed(body.email, address)
        raise
    state.login_throttle.succeeded(body.email)
    session.commit()
    return TokenPair(**tokens)


@router.post("/refresh", response_model=TokenPair)
def refresh(body: RefreshIn, session: SessionDep, state: StateDep) -> TokenPair:
    tokens, error = identity.refresh(session, state, body.refresh_token)
    session.commit()  # a detected reuse must persist the family revocation
    if tokens is None:
        raise ApiError(401, error or "invalid refresh token")
    return TokenPair(**tokens)


@router.post("/logout", status_code=204, response_class=Response)
def logout(body: RefreshIn, session: SessionDep) -> Response:
    identity.logout(session, body.refresh_token)
    session.commit()
    return Response(status_code=204)

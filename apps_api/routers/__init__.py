"""Router registry: built-in routers plus optional ones from other areas.

To plug a router in, add one ``"module:attribute"`` line to
:data:`OPTIONAL_ROUTERS`. It is mounted under ``/api/v1`` when the module
imports (a missing module is skipped; any other import error is raised, so a
broken router is noticed rather than silently dropped).
"""

from __future__ import annotations

import importlib
import logging

from fastapi import APIRouter

log = logging.getLogger("apps_api")

OPTIONAL_ROUTERS: list[str] = [
    "rag.api_router:router",  # search (RAG area)
    "rag.tutor.api_router:router",  # tutor conversations (issue 8)
    # "tutor.api_router:router",       # tutor conversations
    # "streaming.api_router:router",   # video upload / playback
    "apps_api.streaming.router:router",  # video upload / HLS playback / live classes (issue 10)
]


def builtin_routers() -> list[APIRouter]:
    from apps_api.routers import admin, auth, cart, coupons, courses, enrollments, orders, payments, users

    return [auth.router, users.router, courses.router, enrollments.router, cart.router, coupons.router,
            orders.router, payments.router, admin.router]


def optional_routers(targets: list[str] | None = None) -> list[APIRouter]:
    found = []
    for target in OPTIONAL_ROUTERS if targets is None else targets:
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                log.info("optional router not installed", extra={"router": target})
                continue
            raise
        router = getattr(module, attr, None)
        if isinstance(router, APIRouter):
            found.append(router)
    return found

"""Every learner-facing route of the API, joined by plain imports.

The full-stack FastAPI template's shape: each module owns one resource's
routes, and :data:`api_router` includes them all; ``create_app`` mounts it under
``/api/v1``. A missing or broken router fails the import instead of silently
removing a feature.
"""

from __future__ import annotations

from fastapi import APIRouter

from apps_api.routers import (
    admin,
    auth,
    cart,
    coupons,
    courses,
    enrollments,
    fraud_ops,
    orders,
    payments,
    search,
    tutor,
    users,
)
from apps_api.streaming.router import router as streaming_router

api_router = APIRouter()
for _routes in (auth.router, users.router, courses.router, enrollments.router, cart.router, coupons.router,
                orders.router, payments.router, admin.router, fraud_ops.router, search.router, tutor.router,
                streaming_router):
    api_router.include_router(_routes)

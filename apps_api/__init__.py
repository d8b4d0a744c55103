"""Suuupra learner-facing API: identity, content, commerce, payments and the ledger.

Entry point: :func:`apps_api.main.create_app`. Extension points for other areas
are documented in ``docs/apps_api.md`` (optional routers in
``apps_api.routers.OPTIONAL_ROUTERS``; auth dependencies in ``apps_api.deps``).
"""

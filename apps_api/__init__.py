"""Suuupra learner-facing API: identity, content, commerce, payments and the ledger.

Entry point: :func:`apps_api.main.create_app`. Every route module is joined in
:mod:`apps_api.routers` (search and tutor conversations included); the auth
dependencies other routes use are in :mod:`apps_api.deps`.
"""

"""Online serving on Ray Serve: recommendations, fraud scoring, and (composed in) the tutor.

Entry points: :func:`serving.app.build_app` (typed Serve builder), the configs in
``serving/config/``, ``suuupra serve ...`` (:mod:`serving.cli`) and
:mod:`serving.lifecycle` (champion reloads, used by Dagster). See docs/serving.md.
"""

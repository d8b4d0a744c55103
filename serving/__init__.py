"""Online serving on Ray Serve: recommendations, fraud scoring, the tutor and its LLM.

Every Ray Serve application of the platform lives here. Entry points: the typed
Serve builders (:func:`serving.app.build_app`, :func:`serving.tutor_app.build_tutor_app`,
:func:`serving.llm.build_llm_app`; options shared through :mod:`serving.options`), the
configs in ``serving/config/``, ``suuupra serve ...`` (:mod:`cli.serve_cmd`) and
:mod:`serving.lifecycle` (champion reloads, used by Dagster). See docs/serving.md.
"""

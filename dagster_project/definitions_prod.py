"""The platform's ``Definitions`` bound to the prod resources (``dagster dev -m dagster_project.definitions_prod``).

Same assets as :mod:`dagster_project.definitions`; only the resources differ: service
endpoints come from ``SUUUPRA_*`` variables that Dagster resolves when a run starts
(see :mod:`dagster_project.resources.environments`), so loading this module reads no
environment and a run with a variable missing fails naming it.
"""

from dagster_project.definitions import build_definitions

defs = build_definitions("prod")

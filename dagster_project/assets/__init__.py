"""Asset modules, one per platform area; each exposes ``ASSETS`` (and optional checks, jobs...)."""

"""Tutor evaluation: a question set built from the Python docs and the harness behind ``suuupra eval tutor``."""

"""Offline evaluation: recommender ranking metrics and fraud metrics/costs/plots."""

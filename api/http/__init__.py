"""The HTTP layer: errors, conditional requests, caches, security, limits, observability.

``api.http.pipeline`` registers every hook in one ordered place.
"""

"""Caching, in one package: what a representation is called, how long it may be kept,
and the app's two caches (docs/architecture.md says why two).

- policy.py     the ETag of a representation (GETs and writes' If-Match), Cache-Control, 304
- responses.py  the response cache: whole GET responses, valid for one data version
- fragments.py  the render memo: records' pieces and the documents made of them, keyed by
                the versions they show (never stale)
- keys.py       surrogate keys, for a shared cache that purges by key

docs/performance.md explains the policy and the numbers behind it.
"""

from __future__ import annotations

from api.http.cache.policy import etag_of, representation_etag

__all__ = ["etag_of", "representation_etag"]

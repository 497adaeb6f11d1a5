"""Whom the API believes: the host names it answers for and the proxies it listens to.

- ``ALLOWED_HOSTS``: every link the API writes is absolute and built from the request's
  host, so a request for any other host name (``Host`` or, behind a trusted proxy,
  ``X-Forwarded-Host``) is refused with 400 before anything renders or is cached.
  Probes (``/healthz``, ``/readyz``) are exempt: load balancers often call them by address.
- ``TRUSTED_PROXIES``: ``X-Forwarded-*`` headers (``PROXY_COUNT`` of them) count only when
  the connection comes from one of these addresses or networks; from anyone else they are
  ignored, so a client cannot pick its own address (and rate-limit budget) or host name.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from api.http.errors import Problem

PROBES = frozenset({"/healthz", "/readyz"})


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """``host`` (port stripped) is named, or under a ``.domain`` pattern, or ``*`` is set."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip("[]").lower().rstrip(".")
    for pattern in allowed:
        pattern = pattern.lower()
        if pattern == "*" or name == pattern or (
                pattern.startswith(".") and (name == pattern[1:] or name.endswith(pattern))):
            return True
    return False


# The answer for each (host, ALLOWED_HOSTS) seen lately: a request repeats its host's.
_host_known = lru_cache(maxsize=256)(host_allowed)


def check_host() -> None:
    this = request._get_current_object()  # type: ignore[attr-defined]  # one proxy lookup
    if this.environ.get("PATH_INFO") in PROBES:
        return
    host = this.host
    if not _host_known(host, tuple(current_app.config["ALLOWED_HOSTS"])):
        raise Problem(400, f"Unknown host name '{host[:100]}': this API answers only for "
                           "the names in its ALLOWED_HOSTS setting.")


class TrustedProxyFix(ProxyFix):
    """ProxyFix for requests whose peer is a trusted proxy; others pass through untouched."""

    def __init__(self, app: Any, trusted: Iterable[str], count: int) -> None:
        super().__init__(app, x_for=count, x_proto=count, x_host=count, x_prefix=count)
        self.trusted = [ipaddress.ip_network(item, strict=False) for item in trusted]

    def is_trusted(self, address: str | None) -> bool:
        try:
            peer = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(peer in network for network in self.trusted)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.is_trusted(environ.get("REMOTE_ADDR")):
            return super().__call__(environ, start_response)
        return self.app(environ, start_response)


def configure(app: Flask) -> None:
    """Before the extensions bind: honour forwarded headers from trusted peers only."""
    if app.config["PROXY_COUNT"]:
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, app.config["TRUSTED_PROXIES"],
                                       app.config["PROXY_COUNT"])


def init_app(app: Flask) -> None:
    app.before_request(check_host)

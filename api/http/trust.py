"""Whom the API believes: the host names it answers for and the proxies it listens to.

- ``ALLOWED_HOSTS`` becomes Flask's ``TRUSTED_HOSTS``: links are built from the request's
  host, so any other host name is refused with 400 before anything renders or is cached
  (probes, ``/healthz`` and ``/readyz``, are exempt: load balancers call them by address).
- ``TRUSTED_PROXIES``: ``X-Forwarded-For/-Proto/-Host`` (``PROXY_COUNT`` of them) count
  only from these addresses, so a client cannot pick its own address or host name.
  ``X-Forwarded-Prefix``, ``-Port`` and ``Forwarded`` never count.
- ``PUBLIC_BASE_URL``: when set, every link is built from it, whatever the headers say.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

PROBES = frozenset({"/healthz", "/readyz"})


def _probes_answer_any_host() -> None:
    """Route a probe whose host name Flask refused (load balancers call it by address)."""
    if request.path in PROBES and isinstance(request.routing_exception, SecurityError):
        request.trusted_hosts = None
        adapter = current_app.url_map.bind("probe")
        request.url_rule, request.view_args = adapter.match(request.path, return_rule=True)
        request.routing_exception = None


class TrustedProxyFix(ProxyFix):
    """ProxyFix for requests whose peer is a trusted proxy; others pass through untouched."""

    def __init__(self, app: Any, trusted: Iterable[str], count: int) -> None:
        super().__init__(app, x_for=count, x_proto=count, x_host=count)
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


class PublicBase:
    """Every request as if made to ``base`` (``https://api.example.org/prefix``): links are
    the operator's, whatever Host or forwarded headers a client sent."""

    def __init__(self, app: Any, base: str) -> None:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"PUBLIC_BASE_URL must be an http(s) URL, not {base!r}")
        self.app = app
        self.scheme, self.host, self.prefix = parts.scheme, parts.netloc, parts.path.rstrip("/")

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        environ.update({"wsgi.url_scheme": self.scheme, "HTTP_HOST": self.host,
                        "SCRIPT_NAME": self.prefix})
        return self.app(environ, start_response)


def configure(app: Flask) -> None:
    """Before the extensions bind: the host check, PUBLIC_BASE_URL and trusted proxies."""
    hosts = app.config["ALLOWED_HOSTS"]
    if not app.config["PUBLIC_BASE_URL"] and "*" not in hosts:  # Flask refuses the others
        app.config["TRUSTED_HOSTS"] = list(hosts)
    if app.config["PUBLIC_BASE_URL"]:
        app.wsgi_app = PublicBase(app.wsgi_app, app.config["PUBLIC_BASE_URL"])
    if app.config["PROXY_COUNT"]:
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, app.config["TRUSTED_PROXIES"],
                                       app.config["PROXY_COUNT"])


def init_app(app: Flask) -> None:
    app.before_request(_probes_answer_any_host)

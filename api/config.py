"""Settings, every one read from the environment with a safe default."""

from __future__ import annotations

import os

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def database_url(url: str) -> str:
    """Normalise a DATABASE_URL: plain ``postgres://`` URLs use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _list(name: str, default: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in os.environ.get(name, default).split(",") if item.strip())


class Config:
    # A relative SQLite path lives in the app's instance folder.
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL", "sqlite:///timeline.sqlite"))
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    # The sources' article texts: `flask seed` loads them from here when the folder exists,
    # so every citation is verified (with offsets) out of the box.
    ARTICLES_DIR = os.environ.get("ARTICLES_DIR") or os.path.join(
        os.path.dirname(PROJECT_DIR), "shared", "seeds")

    # Seconds a client or shared cache may reuse a GET response before revalidating with
    # its ETag, and the seconds after that it may still serve it while it revalidates
    # (stale-while-revalidate; 0 leaves the directive out). See docs/performance.md.
    CACHE_MAX_AGE = _int("CACHE_MAX_AGE", 5)
    CACHE_STALE_SECONDS = _int("CACHE_STALE_SECONDS", 30)
    # Seconds after which a cache may no longer answer with its stored copy of a successful
    # GET while the API cannot answer (stale-if-error, RFC 5861); the per-worker response
    # cache does so itself while the database cannot be read, for this long after its last
    # successful data-version check. 0 leaves the directive out (and answers 503 then).
    CACHE_STALE_IF_ERROR = _int("CACHE_STALE_IF_ERROR", 3600)
    # How long a shared cache that purges by surrogate key (deploy/varnish.vcl) may keep a
    # response: the purge process (`flask purge`) drops it as soon as it changes.
    SURROGATE_MAX_AGE = _int("SURROGATE_MAX_AGE", 3600)
    # Where `flask purge` sends its purges (Varnish's address), and how often it reads the
    # change log.
    PURGE_URL = os.environ.get("PURGE_URL", "http://127.0.0.1:6081/")
    PURGE_POLL_SECONDS = _float("PURGE_POLL_SECONDS", 0.1)
    # PostgreSQL streaming replicas of the database, comma-separated: reads go to them
    # unless the caller's last write (its Data-Seq) is not there yet (api/http/replicas.py).
    REPLICA_URLS = tuple(database_url(url) for url in _list("REPLICA_URLS", ""))
    # Origins browsers may read responses from: "*" or a comma-separated list.
    CORS_ORIGINS = _list("CORS_ORIGINS", "*")
    # Trust X-Forwarded-For/-Proto/-Host from this many proxies (client addresses, links).
    PROXY_COUNT = _int("PROXY_COUNT", 0)
    # The URL clients reach the API at (e.g. https://api.example.org): when set, every link
    # is built from it, never from a request's Host or forwarded headers.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")

    # Most events one format document (TimelineJS, calendar, feed, CSV) holds; see api/formats.
    FORMAT_MAX_EVENTS = _int("FORMAT_MAX_EVENTS", 1000)
    # Where the embed page loads TimelineJS from: a base URL holding js/timeline.js and
    # css/timeline.css. The default is this app, serving the files in TIMELINEJS_DIR.
    TIMELINEJS_URL = os.environ.get("TIMELINEJS_URL", "/embed/timelinejs")
    TIMELINEJS_DIR = os.environ.get("TIMELINEJS_DIR", os.path.join(
        PROJECT_DIR, "node_modules", "@knight-lab", "timelinejs", "dist"))
    # Base URL of the API the embed page reads its data from; empty means the page's own.
    EMBED_API_URL = os.environ.get("EMBED_API_URL", "")
    # A WebSub hub (e.g. https://pubsubhubbub.appspot.com/): when set, the feeds name it
    # (rel="hub") and every change committed through the API pings it in the background
    # (api/http/websub.py), each ping giving up after WEBSUB_TIMEOUT seconds.
    WEBSUB_HUB = os.environ.get("WEBSUB_HUB", "")
    WEBSUB_TIMEOUT = _float("WEBSUB_TIMEOUT", 2.0)

    # The per-worker response cache (api/http/cache/): on unless RESPONSE_CACHE=0.
    RESPONSE_CACHE = os.environ.get("RESPONSE_CACHE", "1") not in ("0", "false", "no")
    # How often (seconds) a worker checks the data version: the bound on staleness
    # after a write made through another worker or process.
    CACHE_CHECK_SECONDS = _float("CACHE_CHECK_SECONDS", 1.0)
    # Bytes of response bodies each worker's response cache holds (least recently used go).
    CACHE_MAX_BYTES = _int("CACHE_MAX_BYTES", 32 * 1024 * 1024)
    # URL path prefixes whose GET responses are cached, and request headers in the key.
    CACHE_PATHS = _list("CACHE_PATHS", "/v1/")
    CACHE_KEY_HEADERS = _list("CACHE_KEY_HEADERS", "Accept")
    # Bytes of rendered pieces (events' JSON, slides...) and of the documents made of them,
    # memoised per worker by the versions they show (api/http/cache/fragments.py); 0: off.
    FRAGMENT_CACHE_BYTES = _int("FRAGMENT_CACHE_BYTES", 16 * 1024 * 1024)
    # Relevance ranks at most this many matches of a query (api/queries/ranking.py)
    SEARCH_WINDOW = _int("SEARCH_WINDOW", 200)

    API_TITLE = "Mission Timeline API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    OPENAPI_SWAGGER_UI_URL = "/docs/static/"
    API_SPEC_OPTIONS = {
        "info": {
            "description": (
                "A cited timeline of the first feature film shot in orbit: every event "
                "backed by verbatim quotes from its sources. Errors are RFC 9457 "
                "`application/problem+json`; every GET has an ETag; lists use keyset "
                "pagination through `next` and the `Link` header."
            ),
        },
    }

    # --- Production hardening (api/http/); docs/configuration.md documents each variable.
    # Largest request body accepted, in bytes (larger: 413).
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 1024 * 1024)
    # Seconds to wait for a new database connection before answering 503.
    DB_CONNECT_TIMEOUT = _int("DB_CONNECT_TIMEOUT", 2)
    # A pooled connection idle longer than this (seconds) is pinged before it is used.
    DB_PING_AFTER_IDLE = _float("DB_PING_AFTER_IDLE", 1.0)
    # Retry-After (seconds) sent with a 503 while the database is unreachable.
    DB_RETRY_AFTER = _int("DB_RETRY_AFTER", 5)
    # Extra CSP sources (space-separated origins) HTML pages may load scripts/styles from.
    CSP_EXTRA_SOURCES = os.environ.get("CSP_EXTRA_SOURCES", "")
    # Paths (and everything below them) that other sites may show in an iframe.
    FRAMEABLE_PATHS = ("/embed",)
    # Rate limits per client (flask-limiter syntax, ';' separates several).
    RATELIMIT_READ = os.environ.get("RATELIMIT_READ", "600 per minute")
    RATELIMIT_WRITE = os.environ.get("RATELIMIT_WRITE", "60 per minute")
    # Shared counters in Redis when set (every worker and instance sees the same counts).
    REDIS_URL = os.environ.get("REDIS_URL", "")
    # Seconds a worker repeats its last /readyz answer before checking again.
    READY_CACHE_SECONDS = _float("READY_CACHE_SECONDS", 1.0)
    # Seconds any Redis call may take (connect, and each read); then limits count in memory.
    REDIS_TIMEOUT = _float("REDIS_TIMEOUT", 0.5)
    # Milliseconds one PostgreSQL statement may run before the server cancels it (503).
    DB_STATEMENT_TIMEOUT = _int("DB_STATEMENT_TIMEOUT", 10000)
    # Most curators' writes under way at once on a host (all workers); one more is a 503.
    # Unset: half of WEB_CONCURRENCY; 0: no bound. (Set in api/http/slots.py.)
    if "WRITE_SLOTS" in os.environ:
        WRITE_SLOTS = _int("WRITE_SLOTS", 0)
    # Where the write slots' lock files live (default: a temporary directory per database).
    WRITE_SLOTS_DIR = os.environ.get("WRITE_SLOTS_DIR", "")
    # Milliseconds a write waits for another writer's lock (PostgreSQL's lock_timeout,
    # SQLite's busy timeout) before answering 503 with Retry-After.
    DB_LOCK_TIMEOUT = _int("DB_LOCK_TIMEOUT", 2000)
    # Host names this API answers for (comma-separated; "*" any; ".example.org" a domain
    # and its subdomains); any other Host (or X-Forwarded-Host) gets 400. Probes are exempt.
    ALLOWED_HOSTS = _list("ALLOWED_HOSTS", "localhost,127.0.0.1")
    # Peers (addresses or networks) whose X-Forwarded-* headers count, with PROXY_COUNT.
    TRUSTED_PROXIES = _list("TRUSTED_PROXIES", "127.0.0.1,::1")
    # Days a new API token lives unless `tokens create --ttl` says otherwise (0: forever).
    TOKEN_TTL_DAYS = _int("TOKEN_TTL_DAYS", 90)

    # --- Webhooks (api/webhooks/; docs/operations.md explains the worker).
    # Networks (CIDR, comma-separated) a subscription's URL may resolve to although they
    # are private, loopback or link-local: none by default (e.g. "127.0.0.1/32" for a
    # receiver on this machine; "0.0.0.0/0,::/0" allows every address).
    WEBHOOK_ALLOW_NETWORKS = _list("WEBHOOK_ALLOW_NETWORKS", "")
    # Seconds one delivery attempt may take (connecting, and each read of the answer).
    WEBHOOK_TIMEOUT = _float("WEBHOOK_TIMEOUT", 5.0)
    # After a failed attempt the next waits this long, doubling each time up to the maximum;
    # after WEBHOOK_MAX_FAILURES consecutive failures the subscription is disabled.
    WEBHOOK_RETRY_SECONDS = _float("WEBHOOK_RETRY_SECONDS", 2.0)
    WEBHOOK_RETRY_MAX_SECONDS = _float("WEBHOOK_RETRY_MAX_SECONDS", 3600.0)
    WEBHOOK_MAX_FAILURES = _int("WEBHOOK_MAX_FAILURES", 15)
    # How often (seconds) the worker looks for new entries when it has nothing to do.
    WEBHOOK_POLL_SECONDS = _float("WEBHOOK_POLL_SECONDS", 0.2)
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    if "RATELIMIT_ENABLED" in os.environ:  # else: on, except under TESTING
        RATELIMIT_ENABLED = os.environ["RATELIMIT_ENABLED"].lower() not in ("0", "false", "no")

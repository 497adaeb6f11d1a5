# Varnish in front of gunicorn: the shared cache purged exactly by the change log.
#
# The API tags each public 200 with Surrogate-Key (what it shows) and Surrogate-Control
# (how long a purging cache may keep it: SURROGATE_MAX_AGE, an hour by default); the
# xkey module indexes objects by those keys, and `flask --app api purge` (which follows
# the change log) sends `PURGE` with `xkey-purge: <keys>` for every change. Clients still
# get the API's short Cache-Control and revalidate with their ETag (a 304 from here).
# Rendered by deploy/varnish.py (@UPSTREAM_HOST@, @UPSTREAM_PORT@); docs/operations.md.
vcl 4.1;

import std;
import xkey;

backend api {
    .host = "@UPSTREAM_HOST@";
    .port = "@UPSTREAM_PORT@";
    .connect_timeout = 2s;
    .first_byte_timeout = 30s;
}

# Who may purge: the purge process runs beside the cache.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE" || req.method == "BAN") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (req.method == "BAN") {  # everything: the purge process starting afresh
            ban("obj.status != 0");
            return (synth(200, "Banned"));
        }
        set req.http.n-gone = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Purged " + req.http.n-gone));
    }
    # Links are built from the Host and the operator's settings, never from forwarded
    # headers a client sent (they are not part of the cache key).
    unset req.http.Forwarded;
    unset req.http.X-Forwarded-Host;
    unset req.http.X-Forwarded-Prefix;
    unset req.http.X-Forwarded-Proto;
    unset req.http.X-Forwarded-Port;
    set req.http.X-Forwarded-For = client.ip;
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.http.Authorization) {  # curators see private answers
        return (pass);
    }
    unset req.http.Cookie;  # the API sets and reads none
    return (hash);
}

sub vcl_backend_response {
    if (beresp.http.Surrogate-Key && beresp.http.Surrogate-Control ~ "max-age=[0-9]+") {
        set beresp.ttl = std.duration(
            regsub(beresp.http.Surrogate-Control, ".*max-age=([0-9]+).*", "\1s"), 0s);
        set beresp.http.xkey = beresp.http.Surrogate-Key;
        # Served stale for up to an hour while the API cannot answer (a frozen database).
        set beresp.grace = 1h;
    }
    unset beresp.http.Surrogate-Control;
    return (deliver);
}

sub vcl_deliver {
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
    unset resp.http.Via;
    unset resp.http.X-Varnish;
}

sub vcl_synth {
    set resp.http.Content-Type = "application/problem+json";
    set resp.http.Cache-Control = "no-store";
    set resp.body = {"{"type": "about:blank", "title": ""} + resp.reason +
                    {"", "status": "} + resp.status + "}";
    return (deliver);
}

sub vcl_backend_error {
    set beresp.http.Content-Type = "application/problem+json";
    set beresp.http.Cache-Control = "no-store";
    set beresp.http.Retry-After = "5";
    set beresp.status = 503;
    set beresp.body = {"{"type": "about:blank", "title": "Service Unavailable",
        "detail": "The API is not answering; try again shortly.", "status": 503}"};
    set beresp.ttl = 0s;
    return (deliver);
}

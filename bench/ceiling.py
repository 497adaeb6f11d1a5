"""The framework ceiling: a bare Flask route returning fixed bytes (``BENCH_BODY`` file).

Served by the same gunicorn settings as the API, so the API's figures can be read as a
fraction of what Flask itself can do on this machine.
"""

import os

from flask import Flask, Response

with open(os.environ["BENCH_BODY"], "rb") as handle:
    BODY = handle.read()

app = Flask(__name__)


@app.get("/")
def page() -> Response:
    return Response(BODY, mimetype="application/json")

# The Mission Timeline API: gunicorn on port 8000, migrations run at start (boot.sh).
# The image carries everything the app serves, the embed page's TimelineJS files included.

# TimelineJS from npm (the version `make timelinejs` installs); only its dist/ is kept.
FROM node:20-slim AS timelinejs
WORKDIR /build
RUN npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
        @knight-lab/timelinejs@3.9.11

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/metrics \
    TIMELINEJS_DIR=/app/timelinejs

WORKDIR /app

# Dependencies from the package's own metadata (setup.cfg), PostgreSQL driver included.
COPY pyproject.toml setup.cfg README.md ./
COPY api ./api
COPY schemas ./schemas
RUN pip install "./[postgres]"

COPY seeds ./seeds
COPY --from=timelinejs /build/node_modules/@knight-lab/timelinejs/dist ./timelinejs
COPY gunicorn.conf.py boot.sh ./

RUN useradd --system --uid 10001 --no-create-home --home-dir /app app \
    && mkdir -p /app/instance \
    && chown app /app/instance
USER 10001

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]
ENTRYPOINT ["./boot.sh"]

#!/bin/sh
# Container entrypoint: migrate the database, optionally load the seeds, then hand the
# process over to gunicorn (exec: it receives the signals, for graceful shutdowns).
# Seeding at start only creates what is missing: it never overwrites a curator's edits
# (`flask seed --overwrite` is for a person who has read the report; docs/curation.md).
set -eu

flask --app api db upgrade
if [ "${SEED_ON_START:-0}" = "1" ]; then
    flask --app api seed
fi
exec gunicorn "${APP_MODULE:-api:create_app()}"

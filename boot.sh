#!/bin/sh
# Container entrypoint: migrate the database, optionally load the seeds, then hand the
# process over to gunicorn (exec: it receives the signals, for graceful shutdowns).
# Seeding at start only creates what is missing: it never overwrites a curator's edits
# (`flask seed --overwrite` is for a person who has read the report; docs/curation.md).
set -eu

# Migrating and seeding take a lock: instances starting at once on one database take turns.
if [ "${SEED_ON_START:-0}" = "1" ]; then
    flask --app api prepare --seed
else
    flask --app api prepare
fi
exec gunicorn "${APP_MODULE:-api:create_app()}"

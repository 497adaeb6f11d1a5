"""full-text search over event titles and summaries

PostgreSQL: a generated ``tsvector`` column ``events.search`` with a GIN index.
SQLite: an FTS5 table ``events_fts`` over the events' rowids, kept in sync by triggers.
Both use language-neutral tokenisation (lowercased words, no stemming): the dataset
mixes English and Russian. ``api/search.py`` builds the matching query.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 20:05:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = "0003"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = {
    "events_fts_insert": """AFTER INSERT ON events BEGIN
        INSERT INTO events_fts(rowid, title, summary) VALUES (new.rowid, new.title, new.summary);
    END""",
    "events_fts_delete": """AFTER DELETE ON events BEGIN
        INSERT INTO events_fts(events_fts, rowid, title, summary)
        VALUES ('delete', old.rowid, old.title, old.summary);
    END""",
    "events_fts_update": """AFTER UPDATE OF title, summary ON events BEGIN
        INSERT INTO events_fts(events_fts, rowid, title, summary)
        VALUES ('delete', old.rowid, old.title, old.summary);
        INSERT INTO events_fts(rowid, title, summary) VALUES (new.rowid, new.title, new.summary);
    END""",
}


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE events ADD COLUMN search tsvector GENERATED ALWAYS AS "
            "(to_tsvector('simple', title || ' ' || summary)) STORED"
        )
        op.execute("CREATE INDEX ix_events_search ON events USING gin (search)")
        return
    op.execute(
        "CREATE VIRTUAL TABLE events_fts USING fts5(title, summary, content='events', "
        "content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')"
    )
    for name, body in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute("INSERT INTO events_fts(events_fts) VALUES ('rebuild')")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_events_search")
        op.execute("ALTER TABLE events DROP COLUMN search")
        return
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE events_fts")

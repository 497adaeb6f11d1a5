"""search everything a reader sees, stemmed: events.search_text and a new index

``events.search_text`` holds the rest of what a reader sees of an event (note, location,
tags, people and their aliases, source titles, quotes: api/domain/searchtext.py).
PostgreSQL: ``events.search`` becomes a weighted tsvector of the 'english' configuration
(stemmed; title and type A, summary B, the rest C). SQLite: ``events_fts`` is rebuilt
over title, type, summary and search_text with the porter stemmer over unicode61 (Cyrillic is tokenised and
case-folded; diacritics removed), kept in sync by triggers.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 06:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

COLUMNS = "title, type, summary, search_text"
NEW = "new.title, new.type, new.summary, new.search_text"
OLD = "old.title, old.type, old.summary, old.search_text"
SQLITE_TRIGGERS = {
    "events_fts_insert": f"""AFTER INSERT ON events BEGIN
        INSERT INTO events_fts(rowid, {COLUMNS}) VALUES (new.rowid, {NEW});
    END""",
    "events_fts_delete": f"""AFTER DELETE ON events BEGIN
        INSERT INTO events_fts(events_fts, rowid, {COLUMNS}) VALUES ('delete', old.rowid, {OLD});
    END""",
    "events_fts_update": f"""AFTER UPDATE OF {COLUMNS} ON events BEGIN
        INSERT INTO events_fts(events_fts, rowid, {COLUMNS}) VALUES ('delete', old.rowid, {OLD});
        INSERT INTO events_fts(rowid, {COLUMNS}) VALUES (new.rowid, {NEW});
    END""",
}
PG_VECTOR = (
    "setweight(to_tsvector('english', title), 'A') || "
    "setweight(to_tsvector('english', type), 'A') || "
    "setweight(to_tsvector('english', summary), 'B') || "
    "setweight(to_tsvector('english', coalesce(search_text, '')), 'C')"
)


def _fill() -> None:
    from api.domain.searchtext import reindex

    conn = op.get_bind()
    reindex(conn, list(conn.scalars(sa.text("SELECT id FROM events"))))


def upgrade():
    op.add_column('events', sa.Column('search_text', sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        _fill()
        op.execute("DROP INDEX ix_events_search")
        op.execute("ALTER TABLE events DROP COLUMN search")
        op.execute(f"ALTER TABLE events ADD COLUMN search tsvector GENERATED ALWAYS AS "
                   f"({PG_VECTOR}) STORED")
        op.execute("CREATE INDEX ix_events_search ON events USING gin (search)")
        return
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE events_fts")
    _fill()
    op.execute(
        f"CREATE VIRTUAL TABLE events_fts USING fts5({COLUMNS}, content='events', "
        "content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2')"
    )
    for name, body in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute("INSERT INTO events_fts(events_fts) VALUES ('rebuild')")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_events_search")
        op.execute("ALTER TABLE events DROP COLUMN search")
        op.execute("ALTER TABLE events ADD COLUMN search tsvector GENERATED ALWAYS AS "
                   "(to_tsvector('simple', title || ' ' || summary)) STORED")
        op.execute("CREATE INDEX ix_events_search ON events USING gin (search)")
        op.drop_column('events', 'search_text')
        return
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE events_fts")
    op.drop_column('events', 'search_text')
    # migration 0004's index, as it was
    op.execute(
        "CREATE VIRTUAL TABLE events_fts USING fts5(title, summary, content='events', "
        "content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')"
    )
    for name, body in (
        ("events_fts_insert", """AFTER INSERT ON events BEGIN
            INSERT INTO events_fts(rowid, title, summary) VALUES (new.rowid, new.title, new.summary);
        END"""),
        ("events_fts_delete", """AFTER DELETE ON events BEGIN
            INSERT INTO events_fts(events_fts, rowid, title, summary)
            VALUES ('delete', old.rowid, old.title, old.summary);
        END"""),
        ("events_fts_update", """AFTER UPDATE OF title, summary ON events BEGIN
            INSERT INTO events_fts(events_fts, rowid, title, summary)
            VALUES ('delete', old.rowid, old.title, old.summary);
            INSERT INTO events_fts(rowid, title, summary) VALUES (new.rowid, new.title, new.summary);
        END"""),
    ):
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute("INSERT INTO events_fts(events_fts) VALUES ('rebuild')")

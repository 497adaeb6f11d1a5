"""search text without the cited sources' titles

``events.search_text`` no longer holds the titles of the sources an event cites (a headline
such as "... docks with the ISS" made every event citing that article match ``docking``);
its lines are now note, location, tags, people, quotes (api/domain/searchtext.py). Every
event's search text is rebuilt; the indexes follow (SQLite by trigger, PostgreSQL as a
generated column).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 20:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    from api.domain.searchtext import reindex

    conn = op.get_bind()
    reindex(conn, list(conn.scalars(sa.text("SELECT id FROM events"))))


def downgrade():
    pass  # the older code rebuilds the titles into search_text on its next write

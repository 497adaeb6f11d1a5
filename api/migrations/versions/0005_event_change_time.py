"""event change time: when each event last changed (its latest revision)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 20:24:29

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN: SQLite keeps the table (and the full-text search triggers).
    op.add_column('events', sa.Column('changed_at', sa.DateTime(), nullable=True))
    op.create_index('ix_events_changed_at', 'events', ['changed_at'], unique=False)
    op.execute(
        "UPDATE events SET changed_at = (SELECT max(r.at) FROM event_revisions r"
        " WHERE r.event_id = events.id)"
    )


def downgrade():
    op.drop_index('ix_events_changed_at', table_name='events')
    op.drop_column('events', 'changed_at')

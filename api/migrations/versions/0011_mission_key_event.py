"""mission key event: the event a mission's embed page opens on

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 15:00:00

``missions.key_event`` is an event id (no foreign key: see api/models.py). Each existing
mission gets the event its page opened on until now, its first live launch, so seeding an
existing database finds nothing to change.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('missions', sa.Column('key_event', sa.String(length=100), nullable=True))
    missions = sa.table('missions', sa.column('id', sa.String()),
                        sa.column('key_event', sa.String()))
    events = sa.table('events', sa.column('id', sa.String()), sa.column('mission_id', sa.String()),
                      sa.column('type', sa.String()), sa.column('earliest', sa.Date()),
                      sa.column('deleted_at', sa.DateTime()))
    first_launch = (sa.select(events.c.id)
                    .where(events.c.mission_id == missions.c.id, events.c.type == 'launch',
                           events.c.deleted_at.is_(None))
                    .order_by(events.c.earliest, events.c.id).limit(1).scalar_subquery())
    op.execute(missions.update().values(key_event=first_launch))


def downgrade():
    with op.batch_alter_table('missions', schema=None) as batch_op:
        batch_op.drop_column('key_event')

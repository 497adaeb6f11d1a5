"""claims and source dates: disagreements as rows; a source's stated and written dates

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 09:00:00

A source's ``published`` (the date its header states) becomes ``stated_date``, a date
object as events have; ``written_date`` (when the content was written) and
``title_supplied`` are new. Event dates keep their JSON columns: a date's ``basis`` lives
inside them.
"""
import datetime as dt

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'claims',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.String(length=100), nullable=True),
        sa.Column('source_id', sa.String(length=100), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('topic', sa.String(length=200), nullable=False),
        sa.Column('field', sa.String(length=40), nullable=False),
        sa.Column('values', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], ),
        sa.ForeignKeyConstraint(['source_id'], ['sources.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_claims_event_id', 'claims', ['event_id'], unique=False)
    op.create_index('ix_claims_source_id', 'claims', ['source_id'], unique=False)

    # Plain ADD COLUMNs first (the sources table has no triggers to lose either way).
    op.add_column('sources', sa.Column('title_supplied', sa.Boolean(), nullable=False,
                                       server_default=sa.false()))
    op.add_column('sources', sa.Column('stated_date', sa.JSON(), nullable=True))
    op.add_column('sources', sa.Column('written_date', sa.JSON(), nullable=True))
    sources = sa.table('sources', sa.column('id', sa.String()), sa.column('published', sa.Date()),
                       sa.column('stated_date', sa.JSON()))
    connection = op.get_bind()
    for ident, published in connection.execute(
            sa.select(sources.c.id, sources.c.published).where(sources.c.published.is_not(None))):
        connection.execute(sources.update().where(sources.c.id == ident).values(stated_date={
            "date": published.isoformat(), "precision": "day", "approximate": False,
            "inferred": False}))
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_column('published')


def downgrade():
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published', sa.Date(), nullable=True))
    sources = sa.table('sources', sa.column('id', sa.String()), sa.column('published', sa.Date()),
                       sa.column('stated_date', sa.JSON()))
    connection = op.get_bind()
    for ident, stated in connection.execute(sa.select(sources.c.id, sources.c.stated_date)):
        if stated and stated.get("precision") == "day":
            connection.execute(sources.update().where(sources.c.id == ident).values(
                published=dt.date.fromisoformat(stated["date"])))
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_column('written_date')
        batch_op.drop_column('stated_date')
        batch_op.drop_column('title_supplied')
    op.drop_index('ix_claims_source_id', table_name='claims')
    op.drop_index('ix_claims_event_id', table_name='claims')
    op.drop_table('claims')

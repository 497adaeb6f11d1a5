"""token expiry: API tokens carry the time after which they are refused

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 06:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # Tokens created before expiry existed keep working until rotated (NULL: no expiry).
    op.add_column('api_tokens', sa.Column('expires_at', sa.DateTime(), nullable=True))


def downgrade():
    op.drop_column('api_tokens', 'expires_at')

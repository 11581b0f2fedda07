"""catalog datasets: versions, imports

Revision ID: 0004_datasets
Revises: 0003_catalog
"""
import sqlalchemy as sa
from alembic import op

revision = '0004_datasets'
down_revision = '0003_catalog'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dataset_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('row_count', sa.BigInteger(), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('encoding', sa.String(length=32), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('imported_by', sa.Integer(), nullable=True),
    sa.Column('imported_by_name', sa.String(length=100), nullable=True),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('job_id', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dataset_version')),
    sa.UniqueConstraint('resource_id', 'version', name='uq_dataset_version_resource_version'),
    sa.UniqueConstraint('table_name', name=op.f('uq_dataset_version_table_name'))
    )
    with op.batch_alter_table('dataset_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_version_resource_id'), ['resource_id'], unique=False)

    op.create_table('dataset_import_job',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('rows_read', sa.BigInteger(), nullable=False),
    sa.Column('rows_total_estimate', sa.BigInteger(), nullable=True),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('message_zh', sa.Text(), nullable=True),
    sa.Column('message_en', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_by_name', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dataset_import_job'))
    )
    with op.batch_alter_table('dataset_import_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_import_job_resource_id'), ['resource_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dataset_import_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_import_job_resource_id'))
    op.drop_table('dataset_import_job')
    with op.batch_alter_table('dataset_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_version_resource_id'))
    op.drop_table('dataset_version')

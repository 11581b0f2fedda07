"""catalog: resources, data items, revisions, reviews, search (FTS5 on SQLite, tsvector + GIN on PostgreSQL)

Revision ID: 0003_catalog
Revises: 0002_policy
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0003_catalog'
down_revision = '0002_policy'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('catalog_resource',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('catalog_class', sa.String(length=16), nullable=False),
    sa.Column('subclass', sa.String(length=32), nullable=True),
    sa.Column('detail_code', sa.String(length=3), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('format', sa.String(length=32), nullable=False),
    sa.Column('file_formats', sa.JSON(), nullable=False),
    sa.Column('share_type', sa.String(length=16), nullable=False),
    sa.Column('share_condition', sa.Text(), nullable=True),
    sa.Column('share_basis', sa.Text(), nullable=True),
    sa.Column('share_method', sa.String(length=8), nullable=False),
    sa.Column('open_type', sa.String(length=16), nullable=False),
    sa.Column('open_condition', sa.Text(), nullable=True),
    sa.Column('update_cycle', sa.String(length=16), nullable=False),
    sa.Column('publish_date', sa.Date(), nullable=True),
    sa.Column('related_codes', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('spatial', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('withdrawn_reason', sa.Text(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_catalog_resource_department_id_department'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_resource')),
    sa.UniqueConstraint('code', name=op.f('uq_catalog_resource_code')),
    sa.UniqueConstraint('department_id', 'name', name='uq_catalog_resource_department_name')
    )
    with op.batch_alter_table('catalog_resource', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_resource_catalog_class'), ['catalog_class'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_resource_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_resource_state'), ['state'], unique=False)

    op.create_table('catalog_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=63), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('length', sa.Integer(), nullable=True),
    sa.Column('scale', sa.Integer(), nullable=True),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('personal', sa.Boolean(), nullable=False),
    sa.Column('sensitivity', sa.String(length=16), nullable=False),
    sa.Column('check_rule', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['resource_id'], ['catalog_resource.id'], name=op.f('fk_catalog_item_resource_id_catalog_resource'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_item')),
    sa.UniqueConstraint('resource_id', 'name', name='uq_catalog_item_resource_name')
    )
    with op.batch_alter_table('catalog_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_item_resource_id'), ['resource_id'], unique=False)

    op.create_table('catalog_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.Integer(), nullable=True),
    sa.Column('published_by_name', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['resource_id'], ['catalog_resource.id'], name=op.f('fk_catalog_revision_resource_id_catalog_resource'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_revision')),
    sa.UniqueConstraint('resource_id', 'revision', name='uq_catalog_revision_resource_revision')
    )
    with op.batch_alter_table('catalog_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_revision_resource_id'), ['resource_id'], unique=False)

    op.create_table('catalog_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['catalog_resource.id'], name=op.f('fk_catalog_review_resource_id_catalog_resource'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_review'))
    )
    with op.batch_alter_table('catalog_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_review_resource_id'), ['resource_id'], unique=False)

    op.create_table('catalog_search_doc',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('view', sa.String(length=4), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('catalog_class', sa.String(length=16), nullable=False),
    sa.Column('share_type', sa.String(length=16), nullable=False),
    sa.Column('open_type', sa.String(length=16), nullable=False),
    sa.Column('format', sa.String(length=32), nullable=False),
    sa.Column('update_cycle', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('tsv', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['resource_id'], ['catalog_resource.id'], name=op.f('fk_catalog_search_doc_resource_id_catalog_resource'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_search_doc')),
    sa.UniqueConstraint('resource_id', 'view', name='uq_catalog_search_doc_resource_view')
    )
    with op.batch_alter_table('catalog_search_doc', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_search_doc_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_search_doc_resource_id'), ['resource_id'], unique=False)
        batch_op.create_index('ix_catalog_search_doc_tsv', ['tsv'], unique=False, postgresql_using='gin')

    if op.get_bind().dialect.name == 'sqlite':
        # the segmented text, ranked with bm25; rowid = catalog_search_doc.id (kept in step by catalog.search)
        op.execute("CREATE VIRTUAL TABLE catalog_search_fts USING fts5(body, tokenize='unicode61')")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("DROP TABLE IF EXISTS catalog_search_fts")
    op.drop_table('catalog_search_doc')
    op.drop_table('catalog_review')
    op.drop_table('catalog_revision')
    op.drop_table('catalog_item')
    op.drop_table('catalog_resource')

"""open-data portal: applications, keys, interaction, usage

Revision ID: 0008_opendata
Revises: 0007_exchange_subscriptions
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_opendata"
down_revision = "0007_exchange_subscriptions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "open_resource_limit",
        sa.Column("resource_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("rate_per_minute", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("resource_id", name=op.f("pk_open_resource_limit")),
    )
    op.create_table(
        "open_usage_daily",
        sa.Column("resource_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("downloads", sa.Integer(), nullable=False),
        sa.Column("api_calls", sa.Integer(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("resource_id", "day", name=op.f("pk_open_usage_daily")),
    )
    with op.batch_alter_table("open_usage_daily", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_open_usage_daily_department_id"), ["department_id"], unique=False
        )

    op.create_table(
        "open_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("id_digest", sa.String(length=64), nullable=False),
        sa.Column("id_encrypted", sa.Text(), nullable=False),
        sa.Column("id_masked", sa.String(length=32), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_user")),
        sa.UniqueConstraint("id_digest", name=op.f("uq_open_user_id_digest")),
        sa.UniqueConstraint("username", name=op.f("uq_open_user_username")),
    )
    op.create_table(
        "open_api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("rate_per_minute", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["open_user.id"], name=op.f("fk_open_api_key_user_id_open_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_api_key")),
        sa.UniqueConstraint("prefix", name=op.f("uq_open_api_key_prefix")),
    )
    with op.batch_alter_table("open_api_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_open_api_key_user_id"), ["user_id"], unique=False)

    op.create_table(
        "open_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("resource_name", sa.String(length=200), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_by_name", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["open_user.id"],
            name=op.f("fk_open_application_user_id_open_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_application")),
    )
    with op.batch_alter_table("open_application", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_open_application_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_open_application_resource_id"), ["resource_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_open_application_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_open_application_user_id"), ["user_id"], unique=False)

    op.create_table(
        "open_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("author_name", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moderated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("moderated_by_name", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["open_user.id"], name=op.f("fk_open_comment_user_id_open_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_comment")),
    )
    with op.batch_alter_table("open_comment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_open_comment_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_open_comment_resource_id"), ["resource_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_open_comment_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_open_comment_user_id"), ["user_id"], unique=False)

    op.create_table(
        "open_data_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("author_name", sa.String(length=100), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by_name", sa.String(length=100), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["open_user.id"],
            name=op.f("fk_open_data_request_user_id_open_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_data_request")),
    )
    with op.batch_alter_table("open_data_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_open_data_request_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_open_data_request_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_open_data_request_user_id"), ["user_id"], unique=False)

    op.create_table(
        "open_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["open_user.id"], name=op.f("fk_open_rating_user_id_open_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_rating")),
        sa.UniqueConstraint("resource_id", "user_id", name="uq_open_rating_resource_user"),
    )
    with op.batch_alter_table("open_rating", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_open_rating_resource_id"), ["resource_id"], unique=False)

    op.create_table(
        "open_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["open_user.id"], name=op.f("fk_open_session_user_id_open_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_open_session_token_hash")),
    )
    with op.batch_alter_table("open_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_open_session_user_id"), ["user_id"], unique=False)

    op.create_table(
        "open_showcase_app",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("author_name", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("resource_ids", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("reviewed_by_name", sa.String(length=100), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["open_user.id"],
            name=op.f("fk_open_showcase_app_user_id_open_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_showcase_app")),
    )
    with op.batch_alter_table("open_showcase_app", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_open_showcase_app_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_open_showcase_app_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("open_showcase_app", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open_showcase_app_user_id"))
        batch_op.drop_index(batch_op.f("ix_open_showcase_app_state"))

    op.drop_table("open_showcase_app")
    with op.batch_alter_table("open_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open_session_user_id"))

    op.drop_table("open_session")
    with op.batch_alter_table("open_rating", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open_rating_resource_id"))

    op.drop_table("open_rating")
    with op.batch_alter_table("open_data_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open_data_request_user_id"))
        batch_op.drop_index(batch_op.f("ix_open_data_request_state"))
        batch_op.drop_index(batch_op.f("ix_open_data_request_department_id"))

    op.drop_table("open_data_request")
    with op.batch_alter_table("open_comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open_comment_user_id"))
        batch_op.drop_index(batch_op.f("ix_open_comment_state"))
        batch_op.drop_index(batch_op.f("ix_open_comment_resource_id"))
        batch_op.drop_index(batch_op.f("ix_open_comment_department_id"))

    op.drop_table("open_comment")
    with op.batch_alter_table("open_application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open_application_user_id"))
        batch_op.drop_index(batch_op.f("ix_open_application_state"))
        batch_op.drop_index(batch_op.f("ix_open_application_resource_id"))
        batch_op.drop_index(batch_op.f("ix_open_application_department_id"))

    op.drop_table("open_application")
    with op.batch_alter_table("open_api_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open_api_key_user_id"))

    op.drop_table("open_api_key")
    op.drop_table("open_user")
    with op.batch_alter_table("open_usage_daily", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open_usage_daily_department_id"))

    op.drop_table("open_usage_daily")
    op.drop_table("open_resource_limit")

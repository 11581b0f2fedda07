"""Alembic environment: runs against the engine handed in by zhicheng.core.db.migrate (or the URL)."""

from alembic import context
from sqlalchemy import create_engine

from zhicheng.models_registry import include_name, target_metadata

config = context.config


def run() -> None:
    engine = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=include_name,
        )
        context.run_migrations()


run()

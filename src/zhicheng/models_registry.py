"""Imports every domain's models so that Base.metadata knows all tables (for Alembic and tests)."""

import importlib
import re

from zhicheng.core.db import Base

MODEL_MODULES = [
    "zhicheng.core.changes",
    "zhicheng.accounts.models",
    "zhicheng.accounts.lockout_models",
    "zhicheng.policy.models",
    "zhicheng.catalog.models",
    "zhicheng.catalog.datasets.models",
    "zhicheng.exchange.models",
    "zhicheng.exchange.subscriptions.models",
    "zhicheng.exchange.masking_rules.models",
    "zhicheng.core.workdays.models",
    "zhicheng.opendata.models",
    "zhicheng.opendata.users.models",
    "zhicheng.opendata.interaction.models",
    "zhicheng.opendata.stats.models",
    "zhicheng.quality.models",
    "zhicheng.basedb.models",
    "zhicheng.lineage.models",
    "zhicheng.geo.layers.models",
    "zhicheng.geo.addresses.models",
    "zhicheng.geo.grids.models",
    "zhicheng.geo.components.models",
    "zhicheng.iot.models",
]

for _name in MODEL_MODULES:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # a domain still being written
        if not (exc.name and _name.startswith(exc.name)):
            raise

target_metadata = Base.metadata

# tables made at run time or by raw SQL in migrations, outside the models: dataset rows, full-text indexes
UNMODELLED_PREFIXES = ("ds_", "catalog_search_fts")
# the spatial index of each layer version (geo.layers.index: geo_<rid>_v<n>, its R*Tree and staging tables) and
# PostGIS's own catalogue table
UNMODELLED_PATTERN = re.compile(r"geo_\d+_v\d+(_\w+)?$|geo_stage_\w+$|spatial_ref_sys$")


def include_name(name, type_, _parent_names) -> bool:
    """Alembic filter: leave the tables that are not described by models alone."""
    if type_ != "table" or not name:
        return True
    return not (name.startswith(UNMODELLED_PREFIXES) or UNMODELLED_PATTERN.match(name))

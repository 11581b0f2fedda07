"""Fixtures of the base database tests (imported here: pytest_plugins only works in the rootdir conftest)."""

from tests.helpers.basedb import assembled, basedb_actors, lineage_on, make_source, population, sources  # noqa: F401

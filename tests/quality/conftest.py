"""The quality tests' own fixtures (pytest_plugins only works in the root conftest, so they are imported here)."""

from tests.helpers.quality import people_resource, quality_actors  # noqa: F401

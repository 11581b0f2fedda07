"""Fixtures of the open-data machine API tests: a small open catalog with data (see helpers below)."""

from tests.opendata_api.helpers import ckan_client, open_catalog  # noqa: F401 - fixtures

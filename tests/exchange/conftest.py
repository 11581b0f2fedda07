"""Fixtures shared by the sharing tests."""

from tests.exchange.test_delivery import world  # noqa: F401 - a fixture, used by name

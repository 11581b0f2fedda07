"""Fixtures of the tile tests: the layer tests' parks layer (open, with a personal item masked outside its bureau)."""

from tests.geo.layers.conftest import closed_layer, layer_actors, layer_users, parks_layer  # noqa: F401

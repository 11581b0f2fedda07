"""The component tests use the grid tests' fixtures (a community layer of real approximate communities, a grid
layer, the housing bureau's officer)."""

from tests.geo.grids.conftest import grid_layers, grid_officer  # noqa: F401  (fixtures)

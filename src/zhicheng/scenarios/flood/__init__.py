"""防汛, the flood-control scenario: rain gauges, water levels, waterlogging, pipe pressure, manhole covers, smart poles."""

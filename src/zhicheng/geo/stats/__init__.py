"""专题统计: counts, sums, areas and lengths of a layer per zone (district, street, community, grid)."""

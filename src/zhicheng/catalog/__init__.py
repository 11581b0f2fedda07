"""Catalog: the government data resource catalog (GB/T 21063), datasets and their versions, imports, search."""

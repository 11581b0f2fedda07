"""Data lineage (数据血缘): a graph of resources, imports, assemblies and derived datasets."""

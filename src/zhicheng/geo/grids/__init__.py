"""Unit grids (万米单元网格, GB/T 30428.1 / CJ/T 213): generation, codes, edits and export of a grid layer."""

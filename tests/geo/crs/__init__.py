"""Tests of coordinate systems and conversion."""

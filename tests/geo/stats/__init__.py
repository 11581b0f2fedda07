"""Tests of thematic statistics per zone."""

"""Tests of the geo domain."""

"""Tests of change extraction between layer versions."""

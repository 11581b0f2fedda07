"""Tests of importing geo file formats into layers."""

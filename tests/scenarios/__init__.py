"""Tests of the scenario plugins zhicheng ships."""

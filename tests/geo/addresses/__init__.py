"""Tests of the 地名地址库 and geocoding (geo.addresses)."""

"""The row protocol every row API shares (sharing, open data, and the geo, IoT and events APIs to come)."""

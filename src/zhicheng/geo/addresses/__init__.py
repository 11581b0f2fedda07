"""The 地名地址库 and geocoding: the standard address layer, free-text Chinese addresses to points and back."""

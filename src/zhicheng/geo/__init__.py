"""The spatio-temporal platform (时空信息平台): layers, OGC API Features and Tiles, coordinates, addresses, grids."""

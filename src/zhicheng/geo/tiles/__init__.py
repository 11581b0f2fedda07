"""Vector tiles of the city's layers: OGC API - Tiles, TileJSON, a tile cache in the data folder, seed and PMTiles export."""

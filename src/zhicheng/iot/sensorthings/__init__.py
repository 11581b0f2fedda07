"""OGC SensorThings API 1.1 over the iot tables: entity sets, query options, serialisation, the router."""

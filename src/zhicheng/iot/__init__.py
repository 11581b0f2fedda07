"""The IoT domain (物联感知): things, sensors and datastreams after OGC SensorThings 1.1, devices and their credentials,
HTTP ingest with quarantine, and the SensorThings read API."""

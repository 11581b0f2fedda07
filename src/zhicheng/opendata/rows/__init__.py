"""Rows of open datasets for the machine APIs (CKAN DataStore and REST): the gated reader, CKAN's ordering,
database-written JSON pages and the materialised open records."""

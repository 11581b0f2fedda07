"""The open REST API (/api/v1/open): the open catalog and the rows of its datasets."""

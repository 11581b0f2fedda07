"""Usage statistics of the portal: views, downloads and API calls per resource per day, the open-data KPIs."""

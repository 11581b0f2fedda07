"""Delivery of granted data: one page of rows through the API (route and fast lane), or the whole grant as CSV."""

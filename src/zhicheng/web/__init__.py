"""Web: the app factory, page layout, static assets, error pages and languages (zh-CN default, en)."""

"""The installed plugins and what each contributes per hook (`zhicheng plugins`, /api/v1/plugins)."""

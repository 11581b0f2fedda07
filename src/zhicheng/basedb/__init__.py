"""Base databases (基础库): templates, one source per field (一数一源), entity resolution, provenance, conflicts."""

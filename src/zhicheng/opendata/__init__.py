"""The open-data portal (数据开放平台): public catalog, portal users, applications, keys, interaction, statistics."""

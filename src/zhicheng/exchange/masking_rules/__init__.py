"""The masking rules the platform admin edits (脱敏规则): table, service, API and editor page; policy.masking applies them."""

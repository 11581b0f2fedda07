"""Policy: the one decision point (actor, action, target, field, purpose) -> allow / mask / deny, and the audit log."""

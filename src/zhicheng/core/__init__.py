"""Core: settings, database, errors, identifiers, event bus, pagination, clock. Imports nothing of ours."""

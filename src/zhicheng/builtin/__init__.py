"""The platform's own content as plugins (hookspecs.DEFAULT_PLUGINS), registered before the installed ones."""

"""Portal users (citizens and enterprises) of the open-data portal: registration, login, sessions, their pages."""

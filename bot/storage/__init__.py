"""Storage: models, sessions and migrations."""

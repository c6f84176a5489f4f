"""Pure parts of the mission store: URLs and settings."""

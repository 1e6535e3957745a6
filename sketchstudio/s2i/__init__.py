"""s2i package."""

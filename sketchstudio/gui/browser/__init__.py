"""The pair browser: a list model over the store, lazy thumbnails, filters and search."""

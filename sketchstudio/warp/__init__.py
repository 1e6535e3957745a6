"""warp package."""

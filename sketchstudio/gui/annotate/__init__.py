"""The Annotate view: keypoint correspondences."""

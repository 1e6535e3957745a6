"""Import and export: PSC6K CSVs, the versioned JSON project format, COCO keypoints, photo folders.

Readers validate everything before a project is touched, so a failed import leaves the project as
it was; writers go through `sketchstudio.core.atomic`, so a failed export leaves the old file.
"""

"""Training and model command line (`sketchstudio-train`); never imports Qt."""

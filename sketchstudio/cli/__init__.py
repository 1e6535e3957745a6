"""The `sketchstudio` command: the GUI by default, headless project commands as subcommands."""

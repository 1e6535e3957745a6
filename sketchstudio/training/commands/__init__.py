"""One module per `sketchstudio-train` command group; each exposes `register(subparsers)`."""

"""`python -m sketchstudio` is the same as the `sketchstudio` command."""

from sketchstudio.cli.main import main

raise SystemExit(main())

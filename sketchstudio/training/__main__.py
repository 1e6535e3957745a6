"""`python -m sketchstudio.training` (and `torchrun -m sketchstudio.training`) is `sketchstudio-train`."""

from sketchstudio.training.cli import main

raise SystemExit(main())

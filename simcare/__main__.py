"""``python -m simcare``: the command-line interface."""

from simcare.cli import main

raise SystemExit(main())

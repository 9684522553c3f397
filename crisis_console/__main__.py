"""`python -m crisis_console`."""

from crisis_console.cli import main

raise SystemExit(main())

"""`python -m grader.cli`: the `grade` command."""

from grader.cli.commands import main

raise SystemExit(main())

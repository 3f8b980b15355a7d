"""`python -m server.cli`: the same CLI as `refactorcoder` (and `python -m server`)."""

from server.cli import main

main()

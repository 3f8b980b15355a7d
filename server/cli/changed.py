"""`refactorcoder optimize --changed --base REF --report FILE.md`: PR mode (work in progress)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from server.cli.common import EXIT_USAGE, _err

ChangedOpt = typer.Option(False, "--changed", help="optimize every Python function changed since --base (PR mode)")
BaseOpt = typer.Option("HEAD", "--base", help="with --changed: the git ref the changes are taken against "
                                              "(their merge base with HEAD), e.g. origin/main")
ReportOpt = typer.Option(None, "--report", help="with --changed: write the Markdown report to this file")


def run(target: Optional[str], *, base: str, report: Optional[Path], changed: bool, metric: str,
        tests: Optional[Path], apply: bool, as_json: bool, config, attempts: Optional[int], judge: bool) -> None:
    raise _err("--changed is not implemented yet", EXIT_USAGE)

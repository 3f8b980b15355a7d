"""What the `refactorcoder` command modules share: argument/option declarations, exit codes, the error
helper and the settings loader. Kept apart from the package's __init__ so that command modules can import it while
__init__ imports them."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Optional

import typer

TargetArg = typer.Argument(..., help="FILE, FILE::function, or a problem text in quotes")
JsonOpt = typer.Option(False, "--json", help="print the RunReport as JSON on stdout (for scripts)")
ConfigOpt = typer.Option(None, "--config", help="JSON or TOML file with the `refactorcoder` settings section")
LanguageOpt = typer.Option(None, "--language", "-l", help="language of the target (default: from the file name; python for text)")

EXIT_MODEL_ERROR, EXIT_USAGE, EXIT_CANCELLED = 1, 2, 130


def _err(message: str, code: int) -> typer.Exit:
    typer.echo(f"refactorcoder: {message}", err=True)
    return typer.Exit(code)


def load_settings(config: Optional[Path]):
    from models.errors import SettingsError
    from models.settings import Settings

    if config is None:
        return Settings()
    try:
        raw = config.read_bytes()
    except OSError as exc:
        raise _err(f"cannot read {config}: {exc.strerror}", EXIT_USAGE)
    try:
        if config.suffix.lower() == ".toml":
            import tomllib

            data = tomllib.loads(raw.decode("utf-8"))
        else:
            data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _err(f"{config} is not valid {'TOML' if config.suffix.lower() == '.toml' else 'JSON'}: {exc}", EXIT_USAGE)
    from server.lsp.features.settings_sync import section_from_init_options

    try:
        return Settings.from_dict(section_from_init_options(data) if isinstance(data, dict) else data)
    except SettingsError as exc:
        raise _err(str(exc), EXIT_USAGE)


def run_in_worker(work, cancel: threading.Event, *, name: str, cancelling: str, join_s: float):
    """Run `work()` in a worker thread so that Ctrl-C cancels it cleanly (the work checks `cancel` between
    steps) instead of killing it mid-write. Returns what `work` returned and raises what it raised, in the
    calling thread; on Ctrl-C prints `cancelling`, waits up to `join_s` for the work to stop, then exits 130."""
    outcome: dict = {}

    def target():
        try:
            outcome["result"] = work()
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, name=name, daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        cancel.set()
        typer.echo(f"refactorcoder: {cancelling}", err=True)
        worker.join(join_s)
        raise _err("cancelled", EXIT_CANCELLED)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]

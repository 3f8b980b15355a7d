"""codeAction after an edit, our server beside a trivial pygls server, same run, same client.

A real LSP client (pygls) starts each server over stdio, opens a generated file of 600, 5,000 and
20,000 lines (Python, and C++ as the brace language), and then, for each of N requests, sends one
incremental didChange (a blank, or a line break, typed at the end of a line in a function) and then
textDocument/codeAction with the cursor on that line. Each sample is timed from sending the edit to
receiving the code actions, so the server's handling of the edit counts. The two servers get the same
edits, alternating request by request, so load on the machine falls on both alike. The trivial server
(benchmarks.trivial_lsp_server) lets pygls apply the same edits and reads the line under the cursor: the
floor for a pygls server.

Goal: our p99 within 2x of the trivial server's at every size. Prints a table and writes JSON to
benchmarks/results/codeaction_after_edit/<UTC time>.json.

    .venv/bin/python -m benchmarks.codeaction_after_edit [--requests 100] [--sizes 600,5000,20000]
        [--languages python,cpp] [--edits blank,enter]
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional

import typer
from lsprotocol import types
from pygls.lsp.client import LanguageClient

from benchmarks.codeaction_latency import CPP_BLOCK, PY_BLOCK, make_document, percentile
from benchmarks.common import RESULTS_DIR_OPTION, ROOT as REPO, benchmark_app, split, start_run

SERVERS = {"refactorcoder": ["-m", "server"], "trivial-pygls": ["-m", "benchmarks.trivial_lsp_server"]}
LANGUAGES = {"python": (PY_BLOCK, '"""Benchmark document."""\nimport os\n', "py"),
             "cpp": (CPP_BLOCK, "#include <vector>\n#include <algorithm>\n", "cpp")}
app = benchmark_app(__doc__)


async def _start(server: str) -> LanguageClient:
    client = LanguageClient("codeaction-after-edit", "1")
    client.feature(types.WINDOW_LOG_MESSAGE)(lambda params: None)
    env = {**os.environ, "PYTHONPATH": str(REPO), "REFACTORCODER_HOME": tempfile.mkdtemp(prefix="rc-bench-")}
    await client.start_io(sys.executable, *SERVERS[server], env=env, cwd=str(REPO))
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities(), process_id=os.getpid()))
    client.initialized(types.InitializedParams())
    return client


async def _stop(client: LanguageClient) -> None:
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


def _is_body_line(line: str) -> bool:
    """Inside a function, with code on it: where a user types and asks for the lightbulb."""
    return line.startswith("    ") and bool(line.strip()) and not line.lstrip().startswith(("#", "//", '"""'))


def _body_lines(text: str) -> list[int]:
    return [i for i, line in enumerate(text.splitlines()) if _is_body_line(line)]


# The edit before each request, typed at the end of a body line: a blank (the tree keeps its shape, so
# the server can leave the re-parse for later), or Enter (a new line: the tree is re-parsed at once).
EDITS = {"blank": " ", "enter": "\n"}


async def _open(client: LanguageClient, uri: str, language: str, text: str) -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)))
    # The first request waits for the initial parse; it is not what this benchmark measures.
    cursor = types.Position(line=0, character=0)
    await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=types.Range(start=cursor, end=cursor),
        context=types.CodeActionContext(diagnostics=[])))


async def _edit_then_action(client: LanguageClient, uri: str, version: int, line: int, column: int,
                            typed: str) -> tuple[float, bool]:
    at = types.Position(line=line, character=column)
    cursor = types.Position(line=line, character=4)
    start = time.perf_counter()
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(range=types.Range(start=at, end=at), text=typed)]))
    result = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=types.Range(start=cursor, end=cursor),
        context=types.CodeActionContext(diagnostics=[])))
    return (time.perf_counter() - start) * 1000, bool(result)


def _summary(server: str, language: str, lines: int, timings: list[float], answered: int) -> dict:
    ordered = sorted(timings)
    return {"server": server, "language": language, "lines": lines, "requests": len(timings), "answered": answered,
            "p50_ms": round(percentile(ordered, 50), 2), "p90_ms": round(percentile(ordered, 90), 2),
            "p99_ms": round(percentile(ordered, 99), 2), "max_ms": round(ordered[-1], 2),
            "mean_ms": round(statistics.fmean(ordered), 2)}


async def run(clients: dict[str, LanguageClient], language: str, lines: int, requests: int, edit: str,
              warmup: int = 5) -> list[dict]:
    """The same edits and requests to every server, alternating request by request, so a burst of load
    on the machine falls on both alike."""
    block, header, suffix = LANGUAGES[language]
    text = make_document(block, header, lines)
    uris = {name: Path(tempfile.gettempdir(), f"after_edit_{name}_{edit}_{lines}.{suffix}").as_uri() for name in clients}
    for name, client in clients.items():
        await _open(client, uris[name], language, text)
    text_lines = text.splitlines()
    timings = {name: [] for name in clients}
    answered = dict.fromkeys(clients, 0)
    typed = EDITS[edit]
    for i in range(requests + warmup):
        line = (i * 7919) % len(text_lines)
        while not _is_body_line(text_lines[line]):
            line = (line + 1) % len(text_lines)
        column = len(text_lines[line])
        if typed == "\n":
            text_lines.insert(line + 1, "")
        else:
            text_lines[line] += typed
        order = list(clients) if i % 2 == 0 else list(reversed(clients))
        for name in order:
            elapsed, has_actions = await _edit_then_action(clients[name], uris[name], i + 2, line, column, typed)
            if i >= warmup:
                timings[name].append(elapsed)
                answered[name] += has_actions
    for name, client in clients.items():
        client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uris[name])))
    return [dict(_summary(name, language, lines, timings[name], answered[name]), edit=edit) for name in clients]


async def main(requests: int, sizes: list[int], languages: list[str], edits: list[str]) -> dict:
    clients = {name: await _start(name) for name in SERVERS}
    rows = []
    for edit in edits:
        for language in languages:
            for lines in sizes:
                rows.extend(await run(clients, language, lines, requests, edit))
                print(rows[-2:], file=sys.stderr)
    for client in clients.values():
        await _stop(client)
    return {"goal": "refactorcoder p99 <= 2x trivial-pygls p99 at every size", "results": rows}


def print_table(report: dict, machine: dict) -> None:
    print("| edit | language | lines | ours p50 / p99 (ms) | trivial p50 / p99 (ms) | p99 ratio |")
    print("|---|---|---|---|---|---|")
    ok = True
    by_key = {(r["edit"], r["language"], r["lines"], r["server"]): r for r in report["results"]}
    for (edit, language, lines, server), ours in by_key.items():
        if server != "refactorcoder":
            continue
        base = by_key[(edit, language, lines, "trivial-pygls")]
        ratio = ours["p99_ms"] / base["p99_ms"]
        ok &= ratio <= 2.0
        print(f"| {edit} | {language} | {lines:,} | {ours['p50_ms']} / {ours['p99_ms']} | {base['p50_ms']} / {base['p99_ms']} | {ratio:.2f} |")
    print(f"\ngoal p99 <= 2x trivial: {'MET' if ok else 'MISSED'} (load average {machine['load_avg_at_start'][0]:.2f}"
          f" before, {os.getloadavg()[0]:.2f} after, on {machine['cores']} CPUs)")


@app.command("codeaction-after-edit")
def cli(requests: int = typer.Option(100, "--requests", min=1, help="edit + codeAction samples per case"),
        sizes: Optional[List[str]] = typer.Option(None, "--sizes", help="file sizes in lines (default 600,5000,20000)"),
        languages: Optional[List[str]] = typer.Option(None, "--languages",
                                                      help=f"of {', '.join(LANGUAGES)} (default all)"),
        edits: Optional[List[str]] = typer.Option(None, "--edits", help=f"of {', '.join(EDITS)} (default all)"),
        results_dir: Path = RESULTS_DIR_OPTION) -> None:
    """codeAction after an edit: our server beside a trivial pygls server (goal: p99 within 2x)."""
    options = {"requests": requests, "sizes": split(sizes, [600, 5000, 20000], int),
               "languages": split(languages, list(LANGUAGES)), "edits": split(edits, list(EDITS))}
    unknown = sorted(set(options["edits"]) - set(EDITS)) + sorted(set(options["languages"]) - set(LANGUAGES))
    if unknown:
        raise typer.BadParameter(f"unknown edit or language: {', '.join(unknown)}")
    run = start_run("codeaction_after_edit", options, results_dir=results_dir)
    report = asyncio.run(main(requests, options["sizes"], options["languages"], options["edits"]))
    print_table(report, run.machine)
    print(f"wrote {run.save(report)}")


if __name__ == "__main__":
    app()

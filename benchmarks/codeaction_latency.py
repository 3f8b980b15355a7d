"""codeAction latency through a real LSP round-trip.

Starts the language server (`python -m server`, stdio), opens a ~300-line file and sends 1,000
textDocument/codeAction requests one after another at varying cursor positions, timing each from
send to response in the client. Scenarios:

  python-static   the same document version throughout (the outline cache is warm)
  cpp-static      the same for a C++ file
  python-editing  a didChange before every 10th request (applied to the server's tree incrementally)

benchmarks.codeaction_after_edit measures an edit before *every* request, on files up to 20,000
lines, beside a trivial pygls server.

Target: p99 <= 10 ms for the static scenarios. Prints a table and writes JSON to
benchmarks/results/codeaction_latency/<UTC time>.json.

    .venv/bin/python -m benchmarks.codeaction_latency [--requests 1000]
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import typer
from lsprotocol import types
from pygls.lsp.client import LanguageClient

from benchmarks.common import RESULTS_DIR_OPTION, ROOT as REPO, benchmark_app, start_run

TARGET_P99_MS = 10.0
app = benchmark_app(__doc__)

PY_BLOCK = '''

# Given a list of integers `nums` and an integer `target`, return the indices of the two
# numbers that add up to `target`.
def two_sum_{i}(nums, target):
    seen = {{}}
    for index, value in enumerate(nums):
        if target - value in seen:
            return [seen[target - value], index]
        seen[value] = index
    return []


class Shape{i}:
    def area(self, w, h):
        """Area of a w x h rectangle."""
        return w * h
'''

CPP_BLOCK = '''
// Largest sum of a contiguous subarray of `a`.
int maxSub{i}(const std::vector<int>& a) {{
    int best = a[0], sum = 0;
    for (size_t k = 0; k < a.size(); ++k) {{
        sum = std::max(a[k], sum + a[k]);  // "{{" in a string does not count
        best = std::max(best, sum);
    }}
    return best;
}}
'''


def make_document(block: str, header: str, lines: int = 300) -> str:
    text, i = header, 0
    while text.count("\n") < lines:
        text += block.format(i=i)
        i += 1
    return "\n".join(text.splitlines()[:lines]) + "\n"


def percentile(sorted_values: list[float], p: float) -> float:
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


async def run_scenario(client: LanguageClient, name: str, text: str, language: str, requests: int, edit_every: int | None):
    uri = Path(tempfile.gettempdir(), f"bench_{name}.{'py' if language == 'python' else 'cpp'}").as_uri()
    version = 1
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id=language, version=version, text=text))
    )
    n_lines = text.count("\n")
    timings, with_actions = [], 0
    for i in range(requests):
        if edit_every and i and i % edit_every == 0:
            version += 1
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[
                        types.TextDocumentContentChangePartial(
                            range=types.Range(start=types.Position(line=n_lines - 1, character=0), end=types.Position(line=n_lines - 1, character=0)),
                            text=" ",
                        )
                    ],
                )
            )
        line = (i * 7) % n_lines
        params = types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=line, character=4), end=types.Position(line=line, character=4)),
            context=types.CodeActionContext(diagnostics=[]),
        )
        start = time.perf_counter()
        result = await client.text_document_code_action_async(params)
        timings.append((time.perf_counter() - start) * 1000)
        with_actions += bool(result)
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    ordered = sorted(timings)
    return {
        "scenario": name,
        "requests": requests,
        "lines": n_lines,
        "answered_with_actions": with_actions,
        "edit_every": edit_every,
        "p50_ms": round(percentile(ordered, 50), 3),
        "p90_ms": round(percentile(ordered, 90), 3),
        "p99_ms": round(percentile(ordered, 99), 3),
        "max_ms": round(ordered[-1], 3),
        "mean_ms": round(statistics.fmean(ordered), 3),
        "first_ms": round(timings[0], 3),
    }


async def main(requests: int) -> dict:
    client = LanguageClient("codeaction-bench", "1")
    client.feature(types.WINDOW_LOG_MESSAGE)(lambda params: None)  # the server's log lines: not measured
    env = {**os.environ, "PYTHONPATH": str(REPO), "REFACTORCODER_HOME": tempfile.mkdtemp(prefix="rc-bench-")}
    await client.start_io(sys.executable, "-m", "server", env=env, cwd=str(REPO))
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities(), process_id=os.getpid()))
    client.initialized(types.InitializedParams())
    python_doc = make_document(PY_BLOCK, '"""Benchmark document."""\nimport os\n')
    cpp_doc = make_document(CPP_BLOCK, "#include <vector>\n#include <algorithm>\n")
    # Warm-up: imports, first parse, JIT-free Python still has cold caches.
    await run_scenario(client, "warmup", python_doc, "python", 50, None)
    rows = [
        await run_scenario(client, "python-static", python_doc, "python", requests, None),
        await run_scenario(client, "cpp-static", cpp_doc, "cpp", requests, None),
        await run_scenario(client, "python-editing", python_doc, "python", requests, 10),
    ]
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return {"target_p99_ms": TARGET_P99_MS, "results": rows}


def print_table(report: dict, machine: dict) -> None:
    columns = ("scenario", "requests", "lines", "p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms")
    print(" | ".join(f"{c:>14}" for c in columns))
    print("-+-".join("-" * 14 for _ in columns))
    for row in report["results"]:
        print(" | ".join(f"{row[c]:>14}" for c in columns))
    static = [r for r in report["results"] if r["scenario"].endswith("static")]
    ok = all(r["p99_ms"] <= TARGET_P99_MS for r in static)
    print(f"\ntarget p99 <= {TARGET_P99_MS} ms (static scenarios): {'MET' if ok else 'MISSED'}"
          f"  (load average {machine['load_avg_at_start'][0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end, "
          f"on {machine['cores']} CPUs)")


@app.command("codeaction-latency")
def cli(requests: int = typer.Option(1000, "--requests", min=1, help="requests per scenario"),
        results_dir: Path = RESULTS_DIR_OPTION) -> None:
    """codeAction latency through a real LSP round-trip (target p99 <= 10 ms)."""
    run = start_run("codeaction_latency", {"requests": requests}, results_dir=results_dir)
    report = asyncio.run(main(requests))
    print_table(report, run.machine)
    print(f"wrote {run.save(report)}")


if __name__ == "__main__":
    app()

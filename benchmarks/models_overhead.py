"""Overhead of our model layer over raw llama-cpp-python on the same prompt and the same Llama instance.

Three paths, interleaved (order rotated each round, KV cache reset before every call so each one
evaluates its prompt from scratch, as a fresh problem would):
  raw       Llama.create_chat_completion(stream=True), iterating chunks (same sampling as the backend)
  model     LlamaCppModel.execute(...) with an on_text callback (template render, token budget, lock,
            cancel/timeout checks between tokens, usage count)
  pipeline  Pipeline.solve(...) with SQLite history (adds prompt building, the stage runner, a history row)
Target: model ≤ 5% over raw.

    .venv/bin/python -m benchmarks.models_overhead [--rounds 8] [--max-tokens 128] [--data ../shared/data]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

import typer

from benchmarks.common import RESULTS_DIR_OPTION, benchmark_app, load_problems, start_run
from models import embedded, llama_backend, prompts
from models.base import Options
from models.history import History
from models.llama_backend import REPEAT_PENALTY, LlamaCppModel
from orchestrator.pipeline import Pipeline
from models.registry import ModelRegistry
from models.settings import Settings

app = benchmark_app(__doc__)


@app.command()
def main(rounds: int = typer.Option(8, "--rounds", min=1, help="problems; each runs through all three paths"),
         max_tokens: int = typer.Option(128, "--max-tokens", min=1),
         data: Optional[Path] = typer.Option(None, "--data", help="folder holding refactorcoderqa/ (default "
                                                                  "$REFACTORCODER_EVAL_DATA, else ../shared/data)"),
         results_dir: Path = RESULTS_DIR_OPTION) -> None:
    """Overhead of our model layer over raw llama-cpp-python on the same prompt and the same Llama instance."""
    run = start_run("models_overhead", {"rounds": rounds, "max_tokens": max_tokens, "data": data},
                    results_dir=results_dir, llama=True)
    info = run.machine
    problems = [p["problem"] for p in load_problems(rounds, data=data)]
    model = LlamaCppModel(embedded.require())  # the embedded default (`local`)
    registry = ModelRegistry()
    registry.register("local", model)
    loaded = llama_backend._load(model.path, model.n_ctx)
    llm = loaded.llm
    stage = {"model": "local", "fallbacks": [], "max_tokens": max_tokens, "temperature": 0, "retries": 0}
    tmp = tempfile.mkdtemp()
    history = History(os.path.join(tmp, "h.db"))
    pipeline = Pipeline(Settings.from_dict({"solve": stage}), history, registry=registry)
    options = Options(temperature=0, max_tokens=max_tokens, seed=1)

    # Wall time and this process's CPU time (all threads). The CPU time is what our layer can add to; it is
    # also far less disturbed than wall time when other jobs share the cores, as they did on the 2-core box.
    def timed(fn):
        llm.reset()
        w, c = time.perf_counter(), time.process_time()
        n = fn()
        return time.perf_counter() - w, time.process_time() - c, n

    def raw(messages):
        def go():
            n = 0
            for chunk in llm.create_chat_completion(messages, stream=True, max_tokens=max_tokens,
                                                    temperature=0, seed=1, repeat_penalty=REPEAT_PENALTY):
                if chunk["choices"][0]["delta"].get("content"):
                    n += 1
            return n
        return timed(go)

    def ours(messages):
        sink = []
        return timed(lambda: model.execute(messages, options, on_text=sink.append).usage.completion_tokens)

    def through_pipeline(problem):
        return timed(lambda: pipeline.solve(problem, None).usage.completion_tokens)

    ours(prompts.solve_messages(problems[0], None))  # warm-up
    raw(prompts.solve_messages(problems[0], None))
    samples = {"raw": [], "model": [], "pipeline": []}
    cpu = {"raw": [], "model": [], "pipeline": []}
    tokens = {"raw": [], "model": [], "pipeline": []}
    paths = ["raw", "model", "pipeline"]
    for i, problem in enumerate(problems):
        messages = prompts.solve_messages(problem, None)
        order = paths[i % 3:] + paths[: i % 3]
        for name in order:
            seconds, cpu_s, n = {"raw": lambda: raw(messages), "model": lambda: ours(messages),
                          "pipeline": lambda: through_pipeline(problem)}[name]()
            samples[name].append(seconds)
            cpu[name].append(cpu_s)
            tokens[name].append(n)
        print(f"round {i}: " + "  ".join(f"{k} {samples[k][-1]:.3f}s wall {cpu[k][-1]:.3f}s cpu/{tokens[k][-1]}t"
                                         for k in paths), file=sys.stderr)

    # Per-token time makes rounds comparable even if a path stops a token earlier or later.
    per_token = {k: [s / max(1, n) for s, n in zip(samples[k], tokens[k])] for k in paths}
    cpu_per_token = {k: [s / max(1, n) for s, n in zip(cpu[k], tokens[k])] for k in paths}
    med = {k: statistics.median(per_token[k]) for k in paths}
    cpu_med = {k: statistics.median(cpu_per_token[k]) for k in paths}
    total = {k: sum(samples[k]) for k in paths}
    cpu_total = {k: sum(cpu[k]) for k in paths}
    overhead = {k: (med[k] / med["raw"] - 1) * 100 for k in ("model", "pipeline")}
    overhead_total = {k: (total[k] / total["raw"] - 1) * 100 for k in ("model", "pipeline")}
    cpu_overhead = {k: (cpu_total[k] / cpu_total["raw"] - 1) * 100 for k in ("model", "pipeline")}
    path = run.save({
        "rounds": rounds, "max_tokens": max_tokens, "threads": llm.context_params.n_threads,
        "seconds": samples, "cpu_seconds": cpu, "tokens": tokens, "median_s_per_token": med, "total_s": total,
        "median_cpu_s_per_token": cpu_med, "total_cpu_s": cpu_total,
        "overhead_pct_median_per_token": overhead, "overhead_pct_total": overhead_total,
        "overhead_pct_cpu_total": cpu_overhead})
    print(f"Model-layer overhead vs raw llama-cpp-python, {Path(model.path).name}, {rounds} rounds x "
          f"{max_tokens} tokens, {info['cpu']} x{info['cores']}, {info['date_utc']}")
    print(f"{'path':<10}{'tokens':>8}{'wall ms/tok (med)':>19}{'wall total s':>14}{'wall overhead':>15}"
          f"{'cpu total s':>13}{'cpu overhead':>14}")
    for k in paths:
        o = f"{overhead_total[k]:+.1f}%" if k != "raw" else "-"
        oc = f"{cpu_overhead[k]:+.1f}%" if k != "raw" else "-"
        print(f"{k:<10}{sum(tokens[k]):>8}{med[k] * 1000:>19.2f}{total[k]:>14.2f}{o:>15}{cpu_total[k]:>13.2f}{oc:>14}")
    print(f"wrote {path}")
    history.close()


if __name__ == "__main__":
    app()

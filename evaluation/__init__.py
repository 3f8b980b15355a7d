"""`refactorcoder eval`: the papers' benchmarks as suites, run on any models, stored in SQLite, resumable.

Layers (pygls-free, above models/, sandbox/, profiling/ and orchestrator/):
* :mod:`evaluation.data` -- where each data set lives (vendored, or --data for RefactorCoderQA), clear errors;
* :mod:`evaluation.suite` -- the plug-in interface (items, run_item, aggregate) and the registry;
* :mod:`evaluation.runner` -- create/resume a run, dispatch items serially, to a process pool or to Ray;
* :mod:`evaluation.store` -- runs and items in SQLite (append-only migrations);
* :mod:`evaluation.metrics` -- pass@k, fix@1, improvement share/median, accuracy, agreement;
* :mod:`evaluation.report` / :mod:`evaluation.charts` -- Markdown/CSV/JSON tables and matplotlib PNGs.
"""

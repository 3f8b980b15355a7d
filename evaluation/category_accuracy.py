"""Accuracy of the problem-category classifier (orchestrator/categories.py) against LeetCodeDataset's tags:
the ``classifier`` variant of the ``leetcode`` suite (it was benchmarks/category_accuracy.py).

Data: the vendored LeetCodeDataset v0.3.0 and v0.3.1 test files, deduplicated by task_id, keeping the problems
with at least one of PerfOrch's ten categories among their tags. A prediction is a hit when the predicted
category is among the problem's tags restricted to the ten.

Deterministic split by a hash of the task id (:func:`is_train`, about half each). The shipped neighbours
(orchestrator/category_examples.json) are the train half only, so every method is scored on the test half;
the ones that learn nothing from the data also on all problems. Methods: majority class (of the train half's
tags); keywords (the fallback); embedding with the descriptions only; with the k nearest train-half
neighbours only; and the shipped blend of the two (what ``classify()`` does).

Regenerate the shipped neighbours from the train half (after changing the split or the embedder):

    .venv/bin/python -m evaluation.category_accuracy --write-examples
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter

from evaluation import data

# v0.3.0 first: where a task is in both files, its v0.3.0 text is the one the shipped neighbours were
# embedded from (4 of the 188 shared tasks differ in text or tags between the versions).
FILES = ("LeetCodeDataset-v0.3.0-test.jsonl.gz", "LeetCodeDataset-v0.3.1-test.jsonl.gz")
SOURCE = ("LeetCodeDataset v0.3.0+v0.3.1 test files (newfacade/LeetCodeDataset@182cd19, MIT), train half of "
          "evaluation/category_accuracy.py's split; tags restricted to the ten")


def load(data_dir=None) -> list[dict]:
    """{task_id, text, tags} per unique problem with at least one of the ten categories, by task_id."""
    from orchestrator import categories

    problems: dict[str, dict] = {}
    for name in FILES:
        for row in data.load("leetcodedataset", name, data_dir, required=("task_id",)):
            meta = row.get("meta") or {}
            text = row.get("problem_description") or meta.get("question_title") or ""
            tags = row.get("tags") or meta.get("tags") or []
            problems.setdefault(row["task_id"], {"task_id": row["task_id"], "text": text, "tags": tags})
    out = []
    for p in problems.values():
        p["tags"] = [t for t in p["tags"] if t in categories.CATEGORIES]
        if p["tags"]:
            out.append(p)
    return sorted(out, key=lambda p: p["task_id"])


def is_train(task_id: str) -> bool:
    return hashlib.sha1(task_id.encode()).digest()[0] % 2 == 0


def accuracy(problems: list[dict], predicted: list[str], seconds: float = 0.0) -> dict:
    """Hit rate (prediction among the tags), macro recall (per category: share of the problems tagged
    with it that were given it; shows whether the classifier says more than "Array"), what it said."""
    hits = sum(name in p["tags"] for name, p in zip(predicted, problems))
    tagged, recalled = Counter(), Counter()
    for name, p in zip(predicted, problems):
        for tag in p["tags"]:
            tagged[tag] += 1
            recalled[tag] += name == tag
    macro = sum(recalled[c] / tagged[c] for c in tagged) / len(tagged)
    return {"n": len(problems), "hits": hits, "accuracy": round(hits / len(problems), 4),
            "macro_recall": round(macro, 4), "seconds": round(seconds, 2),
            "predicted": dict(Counter(predicted).most_common())}


def _run(problems: list[dict], method: str) -> dict:
    from orchestrator import categories

    started = time.perf_counter()
    names = [c.name for c in categories.classify_many([p["text"] for p in problems], method=method)]
    return accuracy(problems, names, time.perf_counter() - started)


def compare(data_dir=None) -> dict:
    """Every method on the test half (and the data-free ones on all problems). Leaves the classifier as
    ``classify()`` uses it (descriptions + shipped neighbours, the shipped neighbour weight)."""
    from orchestrator import categories

    problems = load(data_dir)
    train = [p for p in problems if is_train(p["task_id"])]
    test = [p for p in problems if not is_train(p["task_id"])]
    results: dict = {"problems": len(problems), "train": len(train), "test": len(test),
                     "tag_counts": dict(Counter(t for p in problems for t in p["tags"]).most_common())}
    majority = Counter(t for p in train for t in p["tags"]).most_common(1)[0][0]
    results["majority_baseline"] = {"category": majority, "test": accuracy(test, [majority] * len(test))}
    results["keywords"] = {"test": _run(test, "keywords"), "all": _run(problems, "keywords")}
    started = time.perf_counter()
    reason = categories.embedding_unavailable()
    if reason is not None:
        results["embedding_unavailable"] = reason
        return results
    results["embedding_load_s"] = round(time.perf_counter() - started, 2)
    shipped = json.loads(categories.EXAMPLES_PATH.read_text())["ids"] if categories.EXAMPLES_PATH.is_file() else []
    overlap = set(shipped) & {p["task_id"] for p in test}
    if overlap:
        raise ValueError(f"the shipped examples overlap the test half ({len(overlap)} problems): regenerate them "
                         "with `python -m evaluation.category_accuracy --write-examples`")
    weight = categories.NEIGHBOUR_WEIGHT
    try:
        categories.fit(use_shipped=False)
        results["embedding_descriptions_only"] = {"test": _run(test, "embedding"), "all": _run(problems, "embedding")}
        categories.fit()  # descriptions + shipped train-half neighbours: what classify() uses
        results["embedding"] = {"k": categories.K_NEIGHBOURS, "neighbour_weight": weight,
                                "test": _run(test, "embedding")}
        categories.NEIGHBOUR_WEIGHT = 100.0  # the descriptions drown: the neighbours decide alone
        results["embedding_neighbours_only"] = {"k": categories.K_NEIGHBOURS, "test": _run(test, "embedding")}
    finally:
        categories.NEIGHBOUR_WEIGHT = weight
        categories.fit()
    started = time.perf_counter()
    categories.classify("Return the prime factors of n in ascending order.", method="embedding")
    results["embedding_one_text_s"] = round(time.perf_counter() - started, 3)
    return results


METHODS = (("majority_baseline", "always the train half's commonest tag"), ("keywords", "keywords (the fallback)"),
           ("embedding_descriptions_only", "MiniLM vs category descriptions only"),
           ("embedding_neighbours_only", "MiniLM k nearest train-half neighbours only"),
           ("embedding", "shipped blend: descriptions + neighbour votes"))


def table(results: dict):
    """The README's classifier comparison as a report table (from :func:`compare`'s results)."""
    from evaluation.suite import Table
    from evaluation.suites.common import num, pct

    rows = []
    for key, label in METHODS:
        if key not in results:
            continue
        test, every = results[key]["test"], results[key].get("all")
        rows.append([label, f"{pct(test['accuracy'])} ({test['hits']}/{test['n']})", num(test["macro_recall"]),
                     ", ".join(test["predicted"]) if len(test["predicted"]) <= 3 else f"{len(test['predicted'])} of 10",
                     pct(every["accuracy"]) if every else "—"])
    note = (f"{results['problems']} LeetCodeDataset problems with at least one of PerfOrch's ten categories among "
            f"their tags, split by a hash of the task id into {results['train']} train / {results['test']} test "
            "(the shipped neighbours are the train half); a hit is the predicted category among the problem's tags.")
    if "embedding_unavailable" in results:
        note += f" Embedding classifier unavailable: {results['embedding_unavailable']}."
    else:
        note += (f" Loading the model took {results['embedding_load_s']} s, one text "
                 f"{results['embedding_one_text_s']} s.")
    return Table("Category classifier vs LeetCode tags, by method (test half)",
                 ["method", "accuracy (hits/n)", "macro recall", "answers", "accuracy, all problems"], rows, note)


def write_train_examples(data_dir=None) -> int:
    """Embed the train half into orchestrator/category_examples.json (what ``classify()`` loads)."""
    from orchestrator import categories

    train = [p for p in load(data_dir) if is_train(p["task_id"])]
    categories.write_examples([(p["task_id"], categories.clean(p["text"]), p["tags"]) for p in train], source=SOURCE)
    return len(train)


if __name__ == "__main__":
    import typer

    def _main(write_examples: bool = typer.Option(False, "--write-examples", help="re-embed the train half into "
                                                  "orchestrator/category_examples.json"),
              data_dir: str = typer.Option(None, "--data", help="folder holding leetcodedataset/")) -> None:
        """Print the classifier comparison as JSON (or regenerate the shipped neighbours first)."""
        if write_examples:
            typer.echo(f"wrote {write_train_examples(data_dir)} train-half examples", err=True)
        typer.echo(json.dumps(compare(data_dir), indent=2))

    typer.run(_main)

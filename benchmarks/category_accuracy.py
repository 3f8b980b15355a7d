"""Accuracy of the problem-category classifier (orchestrator/categories.py) on tagged LeetCode problems.

Data: ../shared/data/leetcodedataset (v0.3.0 and v0.3.1 test files, deduplicated by task_id: 426
problems, 393 with at least one of PerfOrch's ten categories among their LeetCode tags). A prediction is
a hit when the predicted category is among the problem's tags restricted to the ten.

Deterministic split by a hash of the task id (about half train, half test). The embedding classifier's
shipped neighbours (orchestrator/category_examples.json) are the train half only; every method is
reported on the test half, and the ones that learn nothing from the data also on all problems.
Methods: majority class; keywords (the fallback); embedding with the descriptions only; with the
k nearest train-half neighbours only; and the shipped blend of the two (what classify() does).

    .venv/bin/python benchmarks/category_accuracy.py [--data DIR] [--json OUT] [--write-examples]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from orchestrator import categories  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "leetcodedataset"


def load(data_dir: Path) -> list[dict]:
    """{task_id, text, tags} per unique problem with at least one of the ten categories."""
    problems: dict[str, dict] = {}
    for path in sorted(data_dir.glob("LeetCodeDataset-v0.3.*-test.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
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


def run(problems: list[dict], method: str) -> dict:
    started = time.perf_counter()
    names = [c.name for c in categories.classify_many([p["text"] for p in problems], method=method)]
    return accuracy(problems, names, time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument("--write-examples", action="store_true",
                        help="re-embed the train half into orchestrator/category_examples.json")
    args = parser.parse_args()
    problems = load(args.data)
    train = [p for p in problems if is_train(p["task_id"])]
    test = [p for p in problems if not is_train(p["task_id"])]
    results: dict = {"date": time.strftime("%Y-%m-%d"), "problems": len(problems), "train": len(train),
                     "test": len(test),
                     "tag_counts": dict(Counter(t for p in problems for t in p["tags"]).most_common())}
    majority = Counter(t for p in train for t in p["tags"]).most_common(1)[0][0]
    results["majority_baseline"] = {"category": majority, "test": accuracy(test, [majority] * len(test))}
    results["keywords"] = {"test": run(test, "keywords"), "all": run(problems, "keywords")}
    started = time.perf_counter()
    reason = categories.embedding_unavailable()
    if reason is not None:
        results["embedding_unavailable"] = reason
    else:
        results["embedding_load_s"] = round(time.perf_counter() - started, 2)
        if args.write_examples:
            categories.write_examples(
                [(p["task_id"], categories.clean(p["text"]), p["tags"]) for p in train],
                source="LeetCodeDataset v0.3.0+v0.3.1 test files (newfacade/LeetCodeDataset@182cd19, MIT), "
                       "train half of benchmarks/category_accuracy.py's split; tags restricted to the ten")
        categories.fit(use_shipped=False)
        results["embedding_descriptions_only"] = {"test": run(test, "embedding"), "all": run(problems, "embedding")}
        shipped = categories.load_examples()
        if shipped is not None and set(categories.json.loads(
                categories.EXAMPLES_PATH.read_text())["ids"]) & {p["task_id"] for p in test}:
            raise SystemExit("the shipped examples overlap the test half: regenerate with --write-examples")
        categories.fit()  # descriptions + shipped train-half neighbours: what classify() uses
        results["embedding"] = {"k": categories.K_NEIGHBOURS, "neighbour_weight": categories.NEIGHBOUR_WEIGHT,
                                "test": run(test, "embedding")}
        weight, categories.NEIGHBOUR_WEIGHT = categories.NEIGHBOUR_WEIGHT, 100.0
        results["embedding_neighbours_only"] = {"k": categories.K_NEIGHBOURS, "test": run(test, "embedding")}
        categories.NEIGHBOUR_WEIGHT = weight
        started = time.perf_counter()
        categories.classify("Return the prime factors of n in ascending order.", method="embedding")
        results["embedding_one_text_s"] = round(time.perf_counter() - started, 3)
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()

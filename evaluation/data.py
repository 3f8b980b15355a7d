"""Where each suite's data lives, and loading it with errors that say what is wrong and where.

* HumanEval-X, HumanEvalPack, ENAMEL and LeetCodeDataset (Apache-2.0 / MIT) ship with the project in
  ``evaluation/data/<suite>/`` beside their LICENSE.txt and SOURCE.md, so a clone runs them offline.
* RefactorCoderQA has no upstream license: it is never copied in. It is read from ``--data PATH`` (a folder
  holding ``refactorcoderqa/`` or the ``refactorcoderqa`` folder itself), else ``$REFACTORCODER_EVAL_DATA``,
  else ``../shared/data`` beside the project when that exists.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

VENDORED = Path(__file__).resolve().parent / "data"
PROJECT = Path(__file__).resolve().parents[1]
QA_FOLDER = "refactorcoderqa"


class DataError(Exception):
    """A data file is missing, unreadable or corrupt; the message names the file and the fix."""


def shared_data_dir() -> Path | None:
    for candidate in (PROJECT.parent / "shared" / "data", PROJECT / "shared" / "data"):
        if candidate.is_dir():
            return candidate
    return None


def suite_dir(folder: str, data: str | os.PathLike | None = None) -> Path:
    """The folder for one data set: under ``data`` when given (``data`` may also be that folder itself),
    else the vendored copy, else ../shared/data."""
    roots: list[Path] = []
    if data is not None:
        root = Path(data).expanduser()
        roots += [root / folder, root] if root.name != folder else [root]
    else:
        env = os.environ.get("REFACTORCODER_EVAL_DATA")
        if env:
            roots.append(Path(env).expanduser() / folder)
        if folder != QA_FOLDER:  # never a vendored RefactorCoderQA: there is no license to ship it under
            roots.append(VENDORED / folder)
        shared = shared_data_dir()
        if shared is not None:
            roots.append(shared / folder)
    for root in roots:
        if root.is_dir() and any(root.glob("*.jsonl*")):
            return root
    hint = ("RefactorCoderQA is not shipped with RefactorCoder (no upstream license): get it from "
            "https://github.com/sadirahman/RefactorCoderQA (converted as in shared/data/refactorcoderqa/SOURCE.md) "
            "and pass --data PATH" if folder == QA_FOLDER else "pass --data PATH to a folder holding it")
    tried = ", ".join(str(r) for r in roots) or "(no candidate folder)"
    raise DataError(f"no {folder} data found (looked in {tried}); {hint}")


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    """All records of a .jsonl or .jsonl.gz file; DataError for a missing, truncated or malformed file."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file missing: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    records, number = [], 0
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if line.strip():
                    record = json.loads(line)
                    if not isinstance(record, dict):
                        raise ValueError("record is not a JSON object")
                    records.append(record)
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"corrupt data file {path} (line {number}): {exc}; "
                        f"restore it from its source (see SOURCE.md beside it)") from exc
    if not records:
        raise DataError(f"data file {path} holds no records")
    return records


def load(folder: str, filename: str, data: str | os.PathLike | None = None, *,
         required: tuple[str, ...] = ()) -> list[dict]:
    """Records of ``folder/filename``; every record must carry the ``required`` fields."""
    path = suite_dir(folder, data) / filename
    records = read_jsonl(path)
    for index, record in enumerate(records):
        missing = [f for f in required if f not in record]
        if missing:
            raise DataError(f"corrupt data file {path}: record {index + 1} lacks {', '.join(missing)}")
    return records

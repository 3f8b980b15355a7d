"""`refactorcoder eval` as a user runs it: a run, `eval list`, `eval report` in md/csv/json with PNG charts,
and the errors a user meets (unknown suite, RefactorCoderQA data missing, unknown run)."""

import csv
import io
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def cli(*args, env=None, cwd=PROJECT):
    base = {**os.environ, "REFACTORCODER_EVAL_PLUGINS": "tests.evaluation.fake_suite", "FAKE_SLEEP_S": "0",
            "PYTHONPATH": str(PROJECT)}
    return subprocess.run([sys.executable, "-m", "server", "eval", *args], cwd=cwd, env={**base, **(env or {})},
                          capture_output=True, text=True, timeout=120)


def test_run_list_and_report_formats(tmp_path):
    db = str(tmp_path / "e.db")
    done = cli("fake-sleep", "--limit", "4", "--run-name", "demo", "--db", db, "--quiet")
    assert done.returncode == 0, done.stderr
    assert "| items | correct |" in done.stdout and "run demo" in done.stderr
    listing = cli("list", "--db", db)
    assert "humaneval-x" in listing.stdout and "refactorcoderqa-mcq" in listing.stdout and "demo" in listing.stdout
    md = cli("report", "demo", "--db", db, "--format", "md", "--out", str(tmp_path / "charts"))
    assert md.returncode == 0 and "### Evaluation run `demo`" in md.stdout and "| 4 | 2 |" in md.stdout
    rows = list(csv.DictReader(io.StringIO(cli("report", "demo", "--db", db, "--format", "csv").stdout)))
    assert [r["key"] for r in rows] == [f"item-{i}" for i in range(4)] and rows[0]["correct"] == "True"
    data = json.loads(cli("report", "1", "--db", db, "--format", "json").stdout)
    assert data["run"]["name"] == "demo" and len(data["items"]) == 4 and data["tables"][0]["rows"] == [[4, 2]]


def test_report_charts_are_pngs(tmp_path):
    from evaluation.charts import render
    from evaluation.suite import Chart

    charts = [Chart("bars", "b", "b.png", {"groups": ["SE", "overall"], "series": {"m": {"SE": 0.5, "overall": 0.4}},
                                            "reference": {"paper": {"SE": 0.7468, "overall": 0.7684}}}),
              Chart("box", "x", "x.png", {"series": {"python time": [0.1, 0.2, -0.05]}, "reference": {"python time": 17.67}}),
              Chart("reliability", "r", "r.png", {"series": {"j": [{"judge": 4, "n": 2, "human_mean": 4.5}]}}),
              # the paper's median on the second box only (memory first, time second): still one legend entry
              Chart("box", "y", "y.png", {"series": {"python cpu": [0.0], "python time": [0.1]},
                                          "reference": {"python time": 17.67}})]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns when a legend has no labelled artist
        for chart in charts:
            assert render(chart, tmp_path).read_bytes()[:4] == b"\x89PNG"


def test_user_errors_are_clear(tmp_path):
    db = str(tmp_path / "e.db")
    unknown = cli("no-such-suite", "--db", db)
    assert unknown.returncode == 2 and "unknown suite 'no-such-suite'" in unknown.stderr
    missing = cli("refactorcoderqa-mcq", "--db", db, "--data", str(tmp_path / "empty"))
    assert missing.returncode == 2 and "RefactorCoderQA is not shipped" in missing.stderr
    assert "Traceback" not in missing.stderr
    no_run = cli("report", "nope", "--db", db)
    assert no_run.returncode == 2 and "no evaluation run 'nope'" in no_run.stderr

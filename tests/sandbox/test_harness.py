"""Test harness and HumanEval-X canonical solutions on the real engine."""

from __future__ import annotations

import os

import pytest

from sandbox import Limits, Status, TestCase, run_tests
from sandbox.humaneval import KNOWN_MISSING_DEPENDENCIES, load, run_record

pytestmark = pytest.mark.docker

ADD = {
    "python": "a, b = map(int, input().split())\nprint(a + b)\n",
    "cpp": "#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a+b<<\"\\n\";}\n",
    "java": "import java.util.*;\npublic class Main { public static void main(String[] x) { Scanner s = new "
            "Scanner(System.in); System.out.println(s.nextLong() + s.nextLong()); } }\n",
    "go": "package main\nimport \"fmt\"\nfunc main() { var a, b int; fmt.Scan(&a, &b); fmt.Println(a + b) }\n",
    "rust": "use std::io::*;\nfn main() { let mut s = String::new(); stdin().read_to_string(&mut s).unwrap(); "
            "let v: Vec<i64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect(); "
            "println!(\"{}\", v[0] + v[1]); }\n",
    "js": "const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(Number);\n"
          "console.log(a + b);\n",
}


@pytest.mark.parametrize("language", sorted(ADD))
def test_stdin_expected_stdout_cases_in_one_session(sandbox, language):
    tests = [TestCase(name="small", stdin="1 2\n", expected_stdout="3\n"),
             TestCase(name="big", stdin="40 2", expected_stdout="42"),
             TestCase(name="wrong-expectation", stdin="1 1\n", expected_stdout="3\n")]
    report = run_tests(language, tests, source=ADD[language], sandbox=sandbox)
    assert report.compile_status == Status.OK, report.compile_output
    assert [t.passed for t in report.tests] == [True, True, False]
    assert report.tests[2].status == Status.FAILED
    assert all(t.time_s > 0 for t in report.tests)


def test_compile_error_fails_every_case(sandbox):
    report = run_tests("cpp", [TestCase(stdin="1 2", expected_stdout="3")] * 2, source="int main( {",
                       sandbox=sandbox)
    assert report.compile_status == Status.COMPILE_ERROR
    assert "error" in report.compile_output
    assert [t.status for t in report.tests] == [Status.COMPILE_ERROR] * 2


def test_per_test_limits_are_reported(sandbox):
    src = "import sys\nn = int(sys.stdin.read())\nwhile n: pass\nprint('done')\n"
    report = run_tests("python", [TestCase(stdin="0", expected_stdout="done"), TestCase(stdin="1")],
                       source=src, limits=Limits(wall_time_s=1, cpu_time_s=1), sandbox=sandbox)
    assert report.tests[0].passed
    assert report.tests[1].status == Status.TIMEOUT


def test_test_program_exit_status_is_the_verdict(sandbox):
    good = run_tests("python", [TestCase(test_program="assert f(2) == 4")], source="def f(x):\n    return x * 2\n",
                     sandbox=sandbox)
    bad = run_tests("python", [TestCase(test_program="assert f(2) == 5")], source="def f(x):\n    return x * 2\n",
                    sandbox=sandbox)
    assert good.all_passed and not bad.all_passed
    js_bad = run_tests("js", [TestCase(test_program="console.assert(f(2) === 5)")], source="const f = x => x * 2\n",
                       sandbox=sandbox)
    assert js_bad.tests[0].status == Status.FAILED  # console.assert made fatal


HUMANEVAL_LANGUAGES = ["python", "cpp", "java", "go", "rust", "js"]


def _subset(language: str) -> list[dict]:
    records = load(language)
    if os.environ.get("REFACTORCODER_HUMANEVAL_FULL"):
        return records
    n = int(os.environ.get("REFACTORCODER_HUMANEVAL_N", "20"))
    step = max(1, len(records) // n)
    return records[::step][:n]  # spread over the whole set


@pytest.mark.slow
@pytest.mark.parametrize("language", HUMANEVAL_LANGUAGES)
def test_humaneval_canonical_solutions_pass(sandbox, language):
    records = _subset(language)
    failures = {}
    for record in records:
        report = run_record(record, language, limits=Limits(wall_time_s=20, cpu_time_s=20), sandbox=sandbox)
        if not report.all_passed:
            test = report.tests[0] if report.tests else None
            failures[record["task_id"]] = (report.compile_output or (test.stderr if test else "")
                                           or report.message)[-400:]
    unexpected = {k: v for k, v in failures.items() if k not in KNOWN_MISSING_DEPENDENCIES}
    assert unexpected == {}, f"{len(unexpected)}/{len(records)} canonical solutions failed: {unexpected}"

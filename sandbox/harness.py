"""Test harness: run a candidate against test cases in one container session.

Two kinds of test case (see :class:`sandbox.models.TestCase`):

* stdin / expected stdout: the candidate is compiled once, then run once per case;
* test program: source combined with the candidate by the language's rules (appended to the main
  file; a separate ``_test.go`` file for Go; ``rustc --test`` when it has ``#[test]`` functions),
  compiled and run; exit status 0 means pass.
"""

from __future__ import annotations

from sandbox.languages import main_file, plan
from sandbox.models import Limits, Result, RunSpec, Status, TestCase, TestOutcome, TestReport
from sandbox.runner import WORKDIR, build_payload, classify, step_dict, to_step

# console.assert only prints in node; test programs must fail loudly instead.
JS_ASSERT_SHIM = ("console.assert = (cond, ...msg) => { if (!cond) { console.error('Assertion failed', ...msg); "
                  "process.exit(1); } };\n")


def normalise_output(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def combine(language: str, candidate: dict[str, str], test_program: str) -> tuple[dict[str, str], str]:
    """Files and mode for candidate + test program."""
    files = dict(candidate)
    main = next(iter(files))
    if not test_program.strip():  # the candidate already is the whole test program
        is_test = (language == "go" and any(n.endswith("_test.go") for n in files)) or \
                  (language == "rust" and "#[test]" in files[main])
        return files, "test" if is_test else "run"
    if language == "go":
        return {**files, "main_test.go": test_program}, "test"
    text = files[main]
    if language == "js":
        text = JS_ASSERT_SHIM + text
    files[main] = text + "\n" + test_program + "\n"
    mode = "test" if language == "rust" and "#[test]" in files[main] else "run"
    return files, mode


def run_tests(language: str, tests: list[TestCase], source: str | None = None,
              files: dict[str, str] | None = None, limits: Limits | None = None, sandbox=None) -> TestReport:
    """Run ``tests`` against the candidate (``source`` or ``files``); one supervisor session."""
    from sandbox.pool import Sandbox

    limits = limits or Limits()
    spec = RunSpec(language=language, source=source, files=files or {}, limits=limits)
    language = spec.language
    candidate = dict(spec.files)
    if source is not None:
        candidate = {main_file(language): source, **candidate}
    report = TestReport(language=language)
    plans, steps, index = [], [], []  # index: (test number, build step or None, run step)
    io_tests = [t for t in tests if t.test_program is None]
    if io_tests:
        p = plan(language, candidate, [], "run", f"{WORKDIR}/io")
        plans.append(("io/", p))
        build_at = None
        if p.build:
            build_at = len(steps)
            steps.append(step_dict("compile", p.build, limits.compile_time_s, limits.compile_time_s, limits, "io",
                                   build=True))
    for number, test in enumerate(tests):
        name = test.name or f"test-{number}"
        if test.test_program is None:
            run_argv = plan(language, candidate, test.args, "run", f"{WORKDIR}/io").run
            index.append((number, build_at, len(steps)))
            steps.append(step_dict(name, run_argv, limits.wall_time_s, limits.cpu_time_s, limits, "io",
                                   stdin=test.stdin, requires=build_at))
            continue
        combined, mode = combine(language, candidate, test.test_program)
        sub = f"t{number}"
        p = plan(language, combined, test.args, mode, f"{WORKDIR}/{sub}")
        plans.append((f"{sub}/", p))
        b = None
        if p.build:
            b = len(steps)
            steps.append(step_dict(f"{name}:compile", p.build, limits.compile_time_s, limits.compile_time_s,
                                   limits, sub, build=True))
        index.append((number, b, len(steps)))
        steps.append(step_dict(name, p.run, limits.wall_time_s, limits.cpu_time_s, limits, sub, stdin=test.stdin,
                               requires=b))
    payload = build_payload(plans, steps, limits)
    own = sandbox is None
    sb = sandbox or Sandbox(pool_size=0)
    try:
        outcome, _ = sb.session(language, limits, payload)
    finally:
        if own:
            sb.close()
    if outcome.report is None:
        report.compile_status = Status.TIMEOUT if outcome.timed_out else Status.SANDBOX_ERROR
        report.message = outcome.error or ""
        status = report.compile_status
        report.tests = [TestOutcome(name=t.name or f"test-{i}", passed=False, status=status)
                        for i, t in enumerate(tests)]
        return report
    raw_steps = outcome.report.get("steps", [])
    results = [to_step(s) for s in raw_steps] + [None] * (len(steps) - len(raw_steps))
    if outcome.report.get("error"):
        report.message = outcome.report["error"]
    for number, build, run_at in index:
        test = tests[number]
        name = test.name or f"test-{number}"
        if build is not None and results[build] is not None:
            b = results[build]
            b_status = classify(b, compile_step=True)
            if b_status != Status.OK:
                if report.compile_status == Status.OK:
                    report.compile_status = b_status
                    report.compile_output = (b.stderr or b.stdout)[-8000:]
                report.tests.append(TestOutcome(name=name, passed=False, status=b_status,
                                                stdout=b.stdout[-4000:], stderr=b.stderr[-4000:]))
                continue
        step = results[run_at]
        if step is None:
            report.tests.append(TestOutcome(name=name, passed=False, status=Status.SANDBOX_ERROR))
            continue
        status = classify(step)
        passed = status == Status.OK
        if passed and test.expected_stdout is not None:
            passed = normalise_output(step.stdout) == normalise_output(test.expected_stdout)
            if not passed:
                status = Status.FAILED
        report.tests.append(TestOutcome(name=name, passed=passed, status=status, time_s=step.profile.wall_time_s,
                                        exit_code=step.exit_code, stdout=step.stdout[-4000:],
                                        stderr=step.stderr[-4000:], profile=step.profile,
                                        diagnostics=step.diagnostics))
    return report


def result_to_outcome(name: str, result: Result) -> TestOutcome:
    return TestOutcome(name=name, passed=result.ok, status=result.status, time_s=result.profile.wall_time_s,
                       exit_code=result.exit_code, stdout=result.stdout, stderr=result.stderr,
                       profile=result.profile)

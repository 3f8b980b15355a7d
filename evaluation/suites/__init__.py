"""Built-in suites; importing this package registers them (evaluation.suite.get_suite)."""

from evaluation.suites import enamel, humaneval, judge, leetcode, mcq, projects, refine, slow  # noqa: F401

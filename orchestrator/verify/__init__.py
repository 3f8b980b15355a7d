"""The verification engine: a candidate in, a typed verdict with its evidence out.

Everything that decides whether a candidate may replace the original lives here: finding and running
the tests (testsuite, execution, pyjobs, the in-sandbox driver), the differential and state checks
against the original (differential, behaviour, progdiff) and the measured decision (through
profiling.compare_programs). The search loop (orchestrator/loop.py, refine.py) only calls it.
"""

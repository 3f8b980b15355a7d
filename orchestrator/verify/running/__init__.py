"""Running candidates in the sandbox, per language: the tests, calls with inputs, timed runs and profiles
(execution); the Python job that ships the in-sandbox driver (pyjobs, in_sandbox/) and reading its timed reports
(timed); timed runs of the other languages, one call per process (percall)."""

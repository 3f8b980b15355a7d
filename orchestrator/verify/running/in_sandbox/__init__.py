"""Code that runs inside the sandbox, never on the host: the Python driver (a trusted parent that forks a
process per call), its helpers and the pytest look-alike. Standard library only; orchestrator/verify/running/pyjobs.py
ships these files' text with every run (main.py, rc_driver_*.py, shim/pytest.py). Importing them on the host
is for unit tests of their pure functions only."""

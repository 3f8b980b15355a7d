"""What a timed run calls: the arguments of a workload's calls read without running them (workload_args), growing a
workload built from the tests' tiny inputs (workload), and the traced run's inputs as workload and replay tests
(traced)."""

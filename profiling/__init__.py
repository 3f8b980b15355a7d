"""Single-run performance measurements: wall time, CPU time, peak and mean memory, CPU utilisation."""

from profiling.metrics import Profile, Summary, profile_host_process, summarize

__all__ = ["Profile", "Summary", "profile_host_process", "summarize"]

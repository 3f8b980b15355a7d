"""Performance measurement and the honest "is B better than A" decision.

* :mod:`profiling.metrics` -- one run's :class:`Profile` (wall/CPU time, peak/mean memory, CPU use);
* :mod:`profiling.decision` -- ``decide(samples_a, samples_b, ...) -> Decision`` (statistics only: paired
  Wilcoxon signed-rank test, Hodges-Lehmann interval, the sequential plan's looks);
* :mod:`profiling.measure` -- ``compare_programs(runner, spec_a, spec_b, ...) -> Decision``: A and B
  measured interleaved in one sandbox, then decided;
* :mod:`profiling.programs` -- loopable programs (repeat count as the last argument; Python/JS drivers).

See ``profiling/README.md`` for the API contract. This package never imports ``sandbox`` at import time
(the sandbox imports ``profiling.metrics``); the runner is passed in.
"""

from profiling.decision import (BETTER, NO_DIFFERENCE, WORSE, Decision, SequentialPlan, SideMetric, Verdict,
                                decide)
from profiling.measure import (METRICS, BehaviourMismatch, MeasurementCancelled, MeasurementError, Runner,
                               compare_programs)
from profiling.metrics import Profile, Summary, profile_host_process, summarize
from profiling.programs import (Program, as_program, fixed, js_script, program_for_source, python_script,
                                python_workload, repeat_arg)

__all__ = [
    "BETTER", "BehaviourMismatch", "METRICS", "NO_DIFFERENCE", "WORSE", "Decision", "MeasurementCancelled",
    "MeasurementError", "Profile", "Program", "Runner", "SequentialPlan", "SideMetric", "Summary", "Verdict",
    "as_program", "compare_programs", "decide", "fixed", "js_script", "profile_host_process", "program_for_source",
    "python_script", "python_workload", "repeat_arg", "summarize",
]

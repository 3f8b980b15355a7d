"""A fake model Pipeline with the orchestrator.pipeline.Pipeline interface, for unit tests and for
protocol tests that must be fast and deterministic (slow stages for cancellation).

Selected in a server subprocess with REFACTORCODER_PIPELINE_FACTORY=tests.server.fake_pipeline:make_pipeline.
REFACTORCODER_FAKE_DELAY_S sets the per-stage delay.
"""

from __future__ import annotations

import os
import threading
import time

from models.errors import Cancelled, ModelError
from models.types import JudgeScores, Judgment, RunReport, StageResult

SOLUTION = "def two_sum(nums, target):\n    seen = {}\n    for i, n in enumerate(nums):\n        if target - n in seen:\n            return [seen[target - n], i]\n        seen[n] = i\n    return []"


class FakePipeline:
    def __init__(self, settings=None, history=None, *, registry=None, notify=None, delay_s: float | None = None):
        self.settings = settings
        self.notify = notify
        self.delay_s = float(os.environ.get("REFACTORCODER_FAKE_DELAY_S", "0.05")) if delay_s is None else delay_s
        self.calls: list[tuple] = []
        self.closed = False
        self._next_run_id = 1
        self._lock = threading.Lock()
        self._notified = False

    def _stage(self, stage, text, cancel):
        deadline = time.monotonic() + self.delay_s
        while time.monotonic() < deadline:
            if cancel is not None and cancel.is_set():
                raise Cancelled(stage)
            time.sleep(0.01)
        if "FAIL" in text:
            raise ModelError(f"{stage}: all models failed (fake)")
        return StageResult(stage=stage, model_id="fake", text=f"{stage} for: {text[:40]}")

    def run(self, problem, stages=("guide", "solve", "judge"), *, cancel=None, on_stage=None, on_text=None, solution=None):
        self.calls.append((problem, tuple(stages), solution))
        if self.notify and not self._notified:
            self._notified = True
            self.notify("fake pipeline in use")
        report = RunReport(problem=problem)
        for stage in stages:
            if cancel is not None and cancel.is_set():
                raise Cancelled(stage)
            if on_stage:
                on_stage(stage)
            result = self._stage(stage, problem.title + problem.description, cancel)
            if on_text:
                on_text(result.text)
            if stage == "guide":
                report.guidance = result
            elif stage == "solve":
                report.solution = result.model_copy(update={"text": f"```python\n{SOLUTION}\n```"})
                report.solution_code = SOLUTION
            elif stage == "judge":
                if report.solution is None:
                    report.solution_code = solution  # as the real Pipeline does for judge-only runs
                report.judgment = Judgment(
                    scores=JudgeScores(accuracy=4, clarity=3, efficiency=4),
                    strengths=["readable"],
                    weaknesses=["quadratic time"],
                    feedback="Use a hash map.",
                    raw=result,
                )
        with self._lock:
            report.run_id = self._next_run_id
            self._next_run_id += 1
        return report

    def close(self):
        self.closed = True


def make_pipeline(settings, notify):
    return FakePipeline(settings, notify=notify)

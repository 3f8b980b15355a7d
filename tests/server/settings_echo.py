"""A fake pipeline whose guidance notes carry the settings it was built with (compact JSON)."""

from __future__ import annotations

import json

from tests.server.fake_pipeline import FakePipeline


class SettingsEchoPipeline(FakePipeline):
    def run(self, problem, stages=("guide", "solve", "judge"), **kwargs):
        report = super().run(problem, stages, **kwargs)
        compact = {name: {"max_tokens": getattr(self.settings, name).max_tokens} for name in ("guide", "solve", "judge")}
        report.guidance.notes.append(json.dumps(compact))
        return report


def make_pipeline(settings, notify):
    return SettingsEchoPipeline(settings, notify=notify)

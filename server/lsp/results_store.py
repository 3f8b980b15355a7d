"""The latest results per document and target (its key: the function or problem plus its anchor in
the document, so two functions of one name keep apart), kept in memory
for lenses, diagnostics, hovers and `refactorcoder/report`. Guidance and judgment are kept from
the latest run that produced each, so a Guide after a Judge does not hide the scores."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TargetResult:
    key: str
    title: str
    name: str | None
    report: dict
    anchor: object | None = None  # source.document.Anchor: where the target is in the live document  # the latest RunReport (JSON) for this target
    guidance: dict | None = None
    judgment: dict | None = None
    solution_code: str | None = None
    job_ids: list[str] = field(default_factory=list)


class ResultStore:
    def __init__(self):
        self._by_uri: dict[str, dict[str, TargetResult]] = {}

    def record(self, job) -> TargetResult | None:
        if job.status != "done" or not job.report:
            return None
        target = job.target
        entry = self._by_uri.setdefault(job.uri, {}).get(target.key)
        if entry is None:
            entry = TargetResult(target.key, target.title, target.name, job.report, getattr(target, "anchor", None))
            self._by_uri[job.uri][target.key] = entry
        entry.report = job.report
        entry.job_ids.append(job.id)
        if job.report.get("guidance"):
            entry.guidance = job.report["guidance"]
        if job.report.get("judgment"):
            entry.judgment = job.report["judgment"]
        if job.report.get("solution_code"):
            entry.solution_code = job.report["solution_code"]
        return entry

    def for_uri(self, uri: str) -> dict[str, TargetResult]:
        return self._by_uri.get(uri, {})

    def get(self, uri: str, key: str) -> TargetResult | None:
        return self._by_uri.get(uri, {}).get(key)

    def latest(self, uri: str) -> TargetResult | None:
        entries = list(self._by_uri.get(uri, {}).values())
        return entries[-1] if entries else None

"""Validation of executeCommand arguments. Every problem becomes a JSON-RPC InvalidParams error
whose message says what was wrong, so a client bug never crashes the server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from server.problem_extract import Span

REQUEST_FAILED = -32803  # LSP ErrorCodes.RequestFailed: well-formed, but it cannot be done now


def request_failed(message: str) -> JsonRpcException:
    return JsonRpcException(message=message, code=REQUEST_FAILED)


def invalid(message: str) -> JsonRpcInvalidParams:
    return JsonRpcInvalidParams(message=f"Invalid params: {message}")


@dataclass(frozen=True)
class TargetArgs:
    uri: str
    span: Span
    version: int | None


@dataclass(frozen=True)
class ExplicitEdit:
    uri: str
    version: int
    span: Span
    new_text: str


def plain(value: Any) -> Any:
    """pygls hands custom-method params over as nested namedtuples; turn them back into JSON values."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def as_dict(value: Any) -> dict | None:
    """An argument/params object as a dict, or None when it is not an object."""
    value = plain(value)
    return value if isinstance(value, dict) else None


def single_object(args: tuple | list | None, command: str) -> dict:
    if not args or len(args) != 1:
        raise invalid(f"{command} takes exactly one argument object, got {len(args or ())}")
    obj = as_dict(args[0])
    if obj is None:
        raise invalid(f"{command} argument must be an object, got {type(args[0]).__name__}")
    return obj


def parse_position(value: Any, what: str) -> tuple[int, int]:
    value = as_dict(value)
    if value is None:
        raise invalid(f"{what} must be an object {{line, character}}")
    line, character = value.get("line"), value.get("character")
    for name, number in (("line", line), ("character", character)):
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise invalid(f"{what}.{name} must be a non-negative integer, got {number!r}")
    return line, character


def parse_range(value: Any) -> Span:
    value = as_dict(value)
    if value is None:
        raise invalid("range must be an object {start, end}")
    start = parse_position(value.get("start"), "range.start")
    end = parse_position(value.get("end"), "range.end")
    if end < start:
        raise invalid("range.end is before range.start")
    return Span(start, end)


def parse_uri(obj: dict) -> str:
    uri = obj.get("uri")
    if not isinstance(uri, str) or not uri:
        raise invalid("missing or empty 'uri'")
    return uri


def parse_version(obj: dict, required: bool = False) -> int | None:
    version = obj.get("version")
    if version is None and not required:
        return None
    if not isinstance(version, int) or isinstance(version, bool):
        raise invalid(f"'version' must be an integer, got {version!r}")
    return version


def parse_target(args, command: str) -> TargetArgs:
    obj = single_object(args, command)
    uri = parse_uri(obj)
    if "range" not in obj:
        raise invalid("missing 'range'")
    return TargetArgs(uri, parse_range(obj["range"]), parse_version(obj))


METRICS = ("time", "peak_memory", "mean_memory", "cpu")
LIMIT_KEYS = {"maxAttempts": "max_attempts", "samplesPerRound": "samples_per_round", "wallTimeS": "wall_time_s",
              "decisionBudgetS": "decision_budget_s", "minPairs": "min_pairs", "maxCostUsd": "max_cost_usd",
              "maxModelCalls": "max_model_calls", "maxTokens": "max_tokens_total", "judge": "judge", "guide": "guide",
              "designTests": "design_tests", "differentialInputs": "differential_inputs", "strategies": "strategies"}


@dataclass(frozen=True)
class JobOptionArgs:
    metric: str = "time"
    workload: str | None = None
    limits: dict | None = None


def parse_job_options(args) -> JobOptionArgs:
    """The optional `metric`, `workload` and `limits` of fix/optimize/judge (limits in JobLimits' names or
    the client's camelCase ones; validated here so a bad value is an InvalidParams, not a failed job)."""
    obj = as_dict(args[0]) if args else None
    obj = obj or {}
    metric = obj.get("metric") or "time"
    if metric not in METRICS:
        raise invalid(f"'metric' must be one of {', '.join(METRICS)}, got {metric!r}")
    workload = obj.get("workload")
    if workload is not None and (not isinstance(workload, str) or not workload.strip()):
        raise invalid("'workload' must be a non-empty expression string")
    raw = obj.get("limits") or {}
    if not isinstance(raw, dict):
        raise invalid("'limits' must be an object")
    limits = {LIMIT_KEYS.get(k, k): v for k, v in raw.items() if v is not None}
    from pydantic import ValidationError

    from orchestrator.report import JobLimits

    try:
        JobLimits(**limits)
    except (ValidationError, TypeError) as exc:
        raise invalid(f"'limits': {str(exc).splitlines()[0] if str(exc) else exc}")
    return JobOptionArgs(metric, workload.strip() if workload else None, limits)


def parse_job_id(args, command: str) -> str:
    obj = single_object(args, command)
    job_id = obj.get("jobId")
    if not isinstance(job_id, str) or not job_id:
        raise invalid("missing 'jobId'")
    return job_id


def parse_apply(args) -> str | ExplicitEdit:
    """`{jobId}` or `{uri, version, range, newText}`."""
    obj = single_object(args, "refactorcoder.applySolution")
    if "jobId" in obj:
        return parse_job_id(args, "refactorcoder.applySolution")
    new_text = obj.get("newText")
    if not isinstance(new_text, str):
        raise invalid("give either 'jobId' or 'uri', 'version', 'range' and 'newText'")
    if "range" not in obj:
        raise invalid("missing 'range'")
    return ExplicitEdit(parse_uri(obj), parse_version(obj, required=True), parse_range(obj["range"]), new_text)


def check_range_in_document(span: Span, lines: list[str]) -> None:
    """Positions past the end of the document are a client bug, not something to guess about."""
    n = len(lines)
    for what, (line, character) in (("start", span.start), ("end", span.end)):
        if line > n or (line == n and character > 0):
            raise invalid(f"range.{what}.line {line} is outside the document ({n} lines)")

"""One place for a job's search and budget: the editor's `refactorcoder.limits` settings (client-vscode/package.json)
are exactly the limits the server takes (server/lsp/command_args.py LIMIT_KEYS onto orchestrator.report.JobLimits), with
the same defaults, so every knob of the loop can be set there and none is set to something the server does not use."""

from __future__ import annotations

import json
from pathlib import Path

from orchestrator.report import JobLimits
from server.lsp.command_args import LIMIT_KEYS, parse_job_options

PACKAGE = Path(__file__).resolve().parents[2] / "client-vscode" / "package.json"


def limits_schema() -> dict:
    properties = json.loads(PACKAGE.read_text())["contributes"]["configuration"]["properties"]
    return properties["refactorcoder.limits"]["properties"]


def test_every_limit_setting_is_a_server_limit_with_the_same_default():
    schema = limits_schema()
    assert set(schema) == set(LIMIT_KEYS), "settings and the server's limit keys differ"
    fields = JobLimits.model_fields
    for key, spec in schema.items():
        field = fields[LIMIT_KEYS[key]]
        default = field.default_factory() if field.default_factory else field.default
        assert spec["default"] == default, f"refactorcoder.limits.{key}: default {spec['default']!r}, server {default!r}"


def test_the_settings_defaults_pass_the_servers_validation():
    defaults = {key: spec["default"] for key, spec in limits_schema().items()}
    options = parse_job_options([{"limits": defaults}])
    assert JobLimits(**options.limits) == JobLimits()

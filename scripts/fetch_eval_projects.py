"""Set-up of the `projects` evaluation suite: download (pip, pinned version and sha256) and unpack the sdists of
evaluation/suites/projects/*.toml into $REFACTORCODER_PROJECTS_CACHE (default ~/.cache/refactorcoder/projects).

    .venv/bin/python scripts/fetch_eval_projects.py              # every project
    .venv/bin/python scripts/fetch_eval_projects.py inflection   # only these

The suite fetches a missing project on first use too; this script does it ahead of time (e.g. from
`setup.sh --test`, so that the suite's tests find the sources)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evaluation.suites.project_cases import load_projects, unpacked  # noqa: E402


def main(names: list[str]) -> int:
    projects = [p for p in load_projects() if not names or p.name in names]
    unknown = set(names) - {p.name for p in projects}
    if unknown:
        print(f"no such project: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    for project in projects:
        print(f"{project.name} {project.version} ({project.license}): {unpacked(project)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

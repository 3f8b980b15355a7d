"""Real parts for the evaluation tests: the Docker sandbox with its images, the GGUF models (tests/conftest.py's
`tiny_gguf` / `local_gguf`), and RefactorCoderQA's data (not shipped: ../shared/data, or $REFACTORCODER_EVAL_DATA).
Missing locally -> skip with the reason; missing under CI=true -> fail."""

from __future__ import annotations

import pytest

from tests.conftest import require_real_part


@pytest.fixture(scope="session")
def docker_sandbox():
    from sandbox.errors import SandboxUnavailable

    try:
        from sandbox.engine import get_client
        from sandbox.images import missing_images

        get_client()
        missing = missing_images()
        problem = f"sandbox images missing for {', '.join(missing)} (refactorcoder sandbox build)" if missing else None
    except SandboxUnavailable as exc:
        problem = f"Docker sandbox unavailable: {exc}"
    require_real_part(problem)
    from sandbox import Sandbox

    with Sandbox(pool_size=1) as sb:
        yield sb


@pytest.fixture(scope="session")
def qa_data():
    from evaluation import data

    try:
        return data.suite_dir(data.QA_FOLDER)
    except data.DataError as exc:
        require_real_part(str(exc))

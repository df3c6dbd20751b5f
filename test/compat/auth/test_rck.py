"""Iceberg's REST compatibility kit (scripts/test-env/run-rck.sh: CatalogTests and
ViewCatalogTests through Java's RESTCatalog) against a catalog with authentication on. The kit
turns every JVM system property into a RESTCatalog property, so `-Dcredential=<id>:<secret>`
is Iceberg's `credential`; without `oauth2-server-uri` RESTCatalog asks `<uri>/v1/oauth/tokens`.

One pytest test for the whole kit: it passes when the kit reports no failure; the kit's own
counts are printed at the end of the session.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import SUMMARY

REPO_ROOT = Path(__file__).resolve().parents[3]
# As in scripts/test-all.sh's rck stage: the kit deletes a metadata file and expects the next
# load to fail, while this catalog serves metadata from Postgres.
EXCLUDED = ".*testLoadTableWithMissingMetadataFile.*"
TIMEOUT_S = 900


def test_rest_compatibility_kit_with_credential(stack, tmp_path):
    if stack.rck is None:
        pytest.fail("the kit needs AUTH_DATABASE_URL (its catalog's warehouse is /tmp, which may not hold an embedded database)", pytrace=False)
    client_id, secret = stack.client(stack.rck, "rck")
    env = {
        **os.environ,
        "RCK_INCLUDE_VIEWS": "1",
        "RCK_REPORTS_DIR": str(tmp_path / "reports"),
        "RCK_JAVA_OPTS": f"-Dcredential={client_id}:{secret}",
    }
    done = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "test-env" / "run-rck.sh"), stack.rck.uri, stack.rck.warehouse, "--exclude-methodname", EXCLUDED],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    output = done.stdout + done.stderr
    summary = re.search(r"^RCK: (\d+) passed, (\d+) failed, (\d+) skipped$", done.stdout, re.MULTILINE)
    assert summary, f"the kit produced no summary (exit {done.returncode}):\n{output[-4000:]}"
    SUMMARY.append(f"REST compatibility kit with credential: {summary.group(0)[5:]}")
    passed, failed = int(summary.group(1)), int(summary.group(2))
    assert failed == 0 and done.returncode == 0, output[-4000:]
    assert passed > 100, output[-4000:]
    # The kit authenticated as its client, and nothing it sent was refused.
    assert any(e.get("client") == client_id and e["status"] == 200 for e in stack.rck.token_requests())
    assert not stack.rck.answered(401), stack.rck.answered(401)[:3]

"""Fixtures for the Spark 3.5 (PySpark) compatibility suite.

The suite drives a real Spark 3.5 + Iceberg runtime against an already running
Iceberg REST catalog (ours). Configuration comes from the environment:

  CATALOG_URI            REST catalog base URI (required, e.g. http://127.0.0.1:8181)
  CATALOG_WAREHOUSE      warehouse name sent to /v1/config (default "default")
  S3_ENDPOINT            if set, data/metadata IO goes through Iceberg's S3FileIO
                         against that endpoint (path-style), with credentials from
                         AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and region from
                         AWS_REGION (default us-east-1)
  SPARK_JARS             comma-separated Iceberg jars; default: whatever
                         scripts/test-env/ensure-spark-jars.sh prints
  SPARK_DRIVER_MEMORY    default 1g

scripts/test-env/run-spark-compat.sh starts a scratch server and sets all of
this up; see test/compat/spark/README.md.

One SparkSession serves the whole run (JVM start-up dominates otherwise).
Every test works in its own uniquely named namespace so reruns against a
persistent catalog never collide; namespaces are dropped afterwards on a
best-effort basis.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
import time
import uuid
import warnings
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
CATALOG = "cat"

# Make Python-side timestamp conversion independent of the machine's zone;
# Spark itself is pinned to UTC below. Must happen before pyspark converts
# any timestamp.
os.environ["TZ"] = "UTC"
time.tzset()


def _spark_jars() -> str:
    jars = os.environ.get("SPARK_JARS")
    if jars:
        return jars
    script = REPO_ROOT / "scripts" / "test-env" / "ensure-spark-jars.sh"
    return subprocess.run(
        ["bash", str(script)], check=True, capture_output=True, text=True
    ).stdout.strip()


def _ensure_java_home() -> None:
    """Spark 3.5 needs Java 8/11/17; prefer 17 if JAVA_HOME isn't set."""
    if os.environ.get("JAVA_HOME"):
        return
    for candidate in sorted(glob.glob("/usr/lib/jvm/java-17-*")):
        if os.path.exists(os.path.join(candidate, "bin", "java")):
            os.environ["JAVA_HOME"] = candidate
            return


def catalog_conf() -> dict[str, str]:
    prefix = f"spark.sql.catalog.{CATALOG}"
    conf = {
        prefix: "org.apache.iceberg.spark.SparkCatalog",
        f"{prefix}.type": "rest",
        f"{prefix}.uri": os.environ["CATALOG_URI"],
        f"{prefix}.warehouse": os.environ.get("CATALOG_WAREHOUSE", "default"),
        # SparkCatalog caches loaded tables by default; with the cache every
        # statement after the first would read Spark's copy instead of asking
        # the catalog, hiding exactly the behaviour we want to test.
        f"{prefix}.cache-enabled": "false",
    }
    endpoint = os.environ.get("S3_ENDPOINT")
    if endpoint:
        conf.update(
            {
                f"{prefix}.io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
                f"{prefix}.s3.endpoint": endpoint,
                f"{prefix}.s3.path-style-access": "true",
                f"{prefix}.s3.access-key-id": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
                f"{prefix}.s3.secret-access-key": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
                f"{prefix}.client.region": os.environ.get("AWS_REGION", "us-east-1"),
            }
        )
    return conf


@pytest.fixture(scope="session")
def spark():
    if not os.environ.get("CATALOG_URI"):
        pytest.skip("CATALOG_URI is not set; start a catalog (see scripts/test-env/run-spark-compat.sh)")
    _ensure_java_home()
    # Without this Spark resolves the hostname and may bind helper services
    # to the machine's external interface; everything stays on loopback.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master("local[2]")
        .appName("iceberg-rest-compat")
        .config("spark.jars", _spark_jars())
        .config(
            "spark.sql.extensions",
            "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        )
        # Stay on loopback and keep the footprint small (2-core CI machine).
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "1g"))
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
        .config("spark.sql.defaultCatalog", "spark_catalog")
    )
    for key, value in catalog_conf().items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _sanitize(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40]


def drop_namespace_tree(spark, ns: str) -> None:
    """Best-effort: drop every table (purging data), view, child namespace, then ns."""
    try:
        for row in spark.sql(f"SHOW NAMESPACES IN {CATALOG}.{ns}").collect():
            drop_namespace_tree(spark, row[0])
    except Exception:
        pass
    try:
        tables = [r["tableName"] for r in spark.sql(f"SHOW TABLES IN {CATALOG}.{ns}").collect()]
    except Exception as exc:
        if "NoSuchNamespace" in str(exc) or "NAMESPACE_NOT_FOUND" in str(exc) or "SCHEMA_NOT_FOUND" in str(exc):
            return  # the test already dropped it
        warnings.warn(f"cleanup: could not list tables in {ns}: {str(exc)[:500]}")
        tables = []
    for table in tables:
        try:
            spark.sql(f"DROP TABLE IF EXISTS {CATALOG}.{ns}.{table} PURGE")
        except Exception:
            # A clone or clone source carries gc.enabled=false, and Spark refuses to purge it:
            # the catalog's collector deletes its files once it is dropped.
            try:
                spark.sql(f"DROP TABLE IF EXISTS {CATALOG}.{ns}.{table}")
            except Exception as exc:
                warnings.warn(f"cleanup: could not drop {ns}.{table}: {str(exc)[:500]}")
    try:
        views = [r["viewName"] for r in spark.sql(f"SHOW VIEWS IN {CATALOG}.{ns}").collect() if not r["isTemporary"]]
    except Exception as exc:
        warnings.warn(f"cleanup: could not list views in {ns}: {str(exc)[:500]}")
        views = []
    for view in views:
        try:
            spark.sql(f"DROP VIEW IF EXISTS {CATALOG}.{ns}.{view}")
        except Exception as exc:
            warnings.warn(f"cleanup: could not drop view {ns}.{view}: {str(exc)[:500]}")
    try:
        spark.sql(f"DROP NAMESPACE IF EXISTS {CATALOG}.{ns}")
    except Exception as exc:
        warnings.warn(f"cleanup: could not drop namespace {ns}: {str(exc)[:500]}")


@pytest.fixture
def ns(spark, request) -> str:
    """A fresh namespace (created) that only this test uses."""
    name = f"spark_{_sanitize(request.node.name)}_{uuid.uuid4().hex[:8]}"
    spark.sql(f"CREATE NAMESPACE {CATALOG}.{name}")
    yield name
    drop_namespace_tree(spark, name)


@pytest.fixture
def fresh_ns_name(spark, request) -> str:
    """A unique namespace name that is NOT created (for namespace DDL tests)."""
    name = f"spark_{_sanitize(request.node.name)}_{uuid.uuid4().hex[:8]}"
    yield name
    drop_namespace_tree(spark, name)


def _java_error_summary(exc) -> str | None:
    """First line of a Py4J Java exception plus its "Caused by" lines.

    A failing Spark statement otherwise prints a few hundred lines of JVM
    stack; the catalog's answer (e.g. "BadRequestException: Malformed
    request: ...") is what matters when reading a CI log.
    """
    java_exc = getattr(exc, "java_exception", None)
    if java_exc is None:
        return None
    try:
        text = str(java_exc.toString())
        cause = java_exc.getCause()
        depth = 0
        while cause is not None and depth < 5:
            text += "\nCaused by: " + str(cause.toString())
            cause = cause.getCause()
            depth += 1
        return text
    except Exception:
        return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is None or report.passed:
        return
    summary = _java_error_summary(call.excinfo.value)
    if summary is None:
        return
    # Keep the location in the test (last frame inside this directory).
    here = str(Path(__file__).parent)
    where = ""
    for entry in reversed(call.excinfo.traceback):
        if str(entry.path).startswith(here):
            where = f"{entry.path}:{entry.lineno + 1}: {entry.statement}".strip()
            break
    report.longrepr = f"{where}\nJava exception: {summary}"

"""Spark 3.5 with the Iceberg 1.11 runtime and authentication on, configured as Iceberg's
documentation shows (spark-configuration, "Catalog configuration"; configuration, "Catalog
REST auth properties"): `credential` without `oauth2-server-uri` (Iceberg then asks
`<uri>/v1/oauth/tokens`, a deprecated default it warns about), `credential` with
`rest.auth.type=oauth2` and `oauth2-server-uri`, and `token`; against the catalog's own token
endpoint and against an OpenID Connect provider. And a session that keeps working for longer
than its tokens live: Iceberg refreshes them by token exchange (RFC 8693) before they expire.

One SparkSession holds every catalog (`spark.sql.catalog.<name>.*`, set at run time: Spark
initialises a catalog on its first use, from the configuration of that moment). Each test
creates a namespace and a table, inserts, and reads the rows back.
"""

from __future__ import annotations

import glob
import os
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest
from conftest import SHORT_TOKEN_LIFETIME_S

REPO_ROOT = Path(__file__).resolve().parents[3]
ROWS = [(1, "one"), (2, "two"), (3, "three")]
# Tokens are accepted up to 30 s after they expire (the catalog's clock skew).
CLOCK_SKEW_S = 30


def _spark_jars() -> str:
    if os.environ.get("SPARK_JARS"):
        return os.environ["SPARK_JARS"]
    script = REPO_ROOT / "scripts" / "test-env" / "ensure-spark-jars.sh"
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"cannot fetch the Iceberg Spark jars:\n{done.stderr}", pytrace=False)
    return done.stdout.strip()


def _java_home() -> None:
    """Spark 3.5 runs on Java 8/11/17: JAVA_HOME, else a Java 17 under /usr/lib/jvm."""
    if os.environ.get("JAVA_HOME"):
        return
    for candidate in sorted(glob.glob("/usr/lib/jvm/java-17-*")):
        if os.path.exists(os.path.join(candidate, "bin", "java")):
            os.environ["JAVA_HOME"] = candidate
            return


class Session:
    def __init__(self, spark) -> None:
        self.spark = spark

    def add_catalog(self, name: str, uri: str, warehouse: str, **props: str) -> None:
        conf = {
            "": "org.apache.iceberg.spark.SparkCatalog",
            ".type": "rest",
            ".uri": uri,
            ".warehouse": warehouse,
            ".cache-enabled": "false",
        } | {f".{k}": v for k, v in props.items()}
        for key, value in conf.items():
            self.spark.conf.set(f"spark.sql.catalog.{name}{key}", value)

    def sql(self, statement: str) -> list[tuple]:
        return [tuple(row) for row in self.spark.sql(statement).collect()]


@pytest.fixture(scope="module")
def session(stack):
    _java_home()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("iceberg-rest-auth")
        .config("spark.jars", _spark_jars())
        .config("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "1g"))
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    session = Session(spark)
    # The refresh test's catalogs start now, so that the other tests' statements count towards
    # the time their first tokens must outlive.
    session.refresh_started = start_short_lived_catalogs(session, stack)
    yield session
    spark.stop()


def round_trip(session: Session, name: str, catalog, cleanup, ns: str) -> None:
    session.sql(f"CREATE NAMESPACE {name}.{cleanup.add(catalog, ns)}")
    session.sql(f"CREATE TABLE {name}.{ns}.t (id BIGINT, name STRING) USING iceberg")
    session.sql(f"INSERT INTO {name}.{ns}.t VALUES (1, 'one'), (2, 'two'), (3, 'three')")
    assert session.sql(f"SELECT id, name FROM {name}.{ns}.t ORDER BY id") == ROWS


# --- the catalog's own token endpoint -------------------------------------------------------


def test_credential_default_token_endpoint(stack, session, cleanup, ns_name):
    client_id, secret = stack.client(stack.catalog, "spark")
    session.add_catalog("lake_cred", stack.catalog.uri, stack.catalog.warehouse, credential=f"{client_id}:{secret}")
    round_trip(session, "lake_cred", stack.catalog, cleanup, ns_name)


def test_credential_with_oauth2_server_uri(stack, session, cleanup, ns_name):
    client_id, secret = stack.client(stack.catalog, "spark")
    session.add_catalog(
        "lake_cred_uri",
        stack.catalog.uri,
        stack.catalog.warehouse,
        **{"rest.auth.type": "oauth2", "oauth2-server-uri": stack.catalog.token_endpoint, "credential": f"{client_id}:{secret}"},
    )
    round_trip(session, "lake_cred_uri", stack.catalog, cleanup, ns_name)


def test_token(stack, session, cleanup, ns_name):
    session.add_catalog("lake_token", stack.catalog.uri, stack.catalog.warehouse, token=stack.token(stack.catalog, "spark"))
    round_trip(session, "lake_token", stack.catalog, cleanup, ns_name)


def test_wrong_secret_is_refused(stack, session):
    client_id, _ = stack.client(stack.catalog, "spark")
    session.add_catalog(
        "lake_wrong",
        stack.catalog.uri,
        stack.catalog.warehouse,
        **{"rest.auth.type": "oauth2", "oauth2-server-uri": stack.catalog.token_endpoint, "credential": f"{client_id}:not-the-secret"},
    )
    with pytest.raises(Exception) as refused:
        session.sql("SHOW NAMESPACES IN lake_wrong")
    assert "NotAuthorizedException: Not authorized: invalid_client: Unknown client, wrong secret, or a disabled client" in str(refused.value)


# --- an OpenID Connect provider -------------------------------------------------------------


def test_oidc_credential_with_oauth2_server_uri(stack, session, cleanup, ns_name):
    """The provider's token endpoint as oauth2-server-uri (scope: Iceberg's default, `catalog`)."""
    session.add_catalog(
        "oidc_cred",
        stack.oidc.uri,
        stack.oidc.warehouse,
        **{"rest.auth.type": "oauth2", "oauth2-server-uri": stack.issuer.token_endpoint, "credential": f"spark:{stack.issuer.clients['spark']}"},
    )
    round_trip(session, "oidc_cred", stack.oidc, cleanup, ns_name)


def test_oidc_token(stack, session, cleanup, ns_name):
    session.add_catalog("oidc_token", stack.oidc.uri, stack.oidc.warehouse, token=stack.issuer.token("spark"))
    round_trip(session, "oidc_token", stack.oidc, cleanup, ns_name)


# --- token refresh --------------------------------------------------------------------------


def start_short_lived_catalogs(session: Session, stack) -> dict:
    """Two catalogs on the catalog whose tokens live 10 s: one with `credential`, one with a
    `token` fetched beforehand (Iceberg refreshes that one too, while it is valid). Both are used
    at once, so both hold their first token from now on."""
    client_id, secret = stack.client(stack.short, "spark")
    session.add_catalog(
        "short_cred",
        stack.short.uri,
        stack.short.warehouse,
        **{"rest.auth.type": "oauth2", "oauth2-server-uri": stack.short.token_endpoint, "credential": f"{client_id}:{secret}"},
    )
    started = time.time()
    session.add_catalog("short_token", stack.short.uri, stack.short.warehouse, token=stack.token(stack.short, "spark"))
    namespaces = {}
    for name in ("short_cred", "short_token"):
        ns = f"auth_refresh_{name}_{os.urandom(4).hex()}"
        session.sql(f"CREATE NAMESPACE {name}.{ns}")
        session.sql(f"CREATE TABLE {name}.{ns}.t (id BIGINT) USING iceberg")
        namespaces[name] = ns
    return {"started": started, "namespaces": namespaces}


def test_token_refresh_across_short_token_lifetime(stack, session, cleanup):
    """Statements for at least 30 s, ending more than lifetime + clock skew after the first
    tokens: a session that did not refresh would be refused by then. The catalog's log must show
    the refreshes: token exchanges, every one answered 200, and no request refused."""
    started = session.refresh_started["started"]
    namespaces = session.refresh_started["namespaces"]
    for name, ns in namespaces.items():
        cleanup.add(stack.short, ns)
    must_outlive = started + SHORT_TOKEN_LIFETIME_S + CLOCK_SKEW_S + 5
    loop_began = time.time()
    inserted = 0
    while time.time() < max(must_outlive, loop_began + 30):
        inserted += 1
        for name, ns in namespaces.items():
            session.sql(f"INSERT INTO {name}.{ns}.t VALUES ({inserted})")
            assert session.sql(f"SELECT id FROM {name}.{ns}.t ORDER BY id") == [(i,) for i in range(1, inserted + 1)]
        time.sleep(1)
    ended = time.time()

    log = stack.short.token_requests()
    exchanges = [e for e in log if e["grant"] == "urn:ietf:params:oauth:grant-type:token-exchange"]
    in_window = [e for e in exchanges if started <= datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp() <= ended]
    # Each of the two sessions refreshes about every 9 s (at 90 % of the lifetime).
    assert len(in_window) >= 2 * int((ended - started) // SHORT_TOKEN_LIFETIME_S) - 2, (len(in_window), ended - started, stack.short.log_path)
    assert all(e["status"] == 200 for e in exchanges), [e for e in exchanges if e["status"] != 200]
    assert not stack.short.answered(401), stack.short.answered(401)[:3]
    assert ended - started > SHORT_TOKEN_LIFETIME_S + CLOCK_SKEW_S

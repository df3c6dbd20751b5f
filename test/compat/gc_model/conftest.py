"""The collector's engine tests own their catalog process (they kill it, or run two), on a
fresh Postgres database from GC_MODEL_DATABASE_URL, with a zero grace period."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest

from catalog_server import CatalogServer, free_port
from reachability import local_files, s3_files


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # GC_MODEL_EMBEDDED=1: the embedded database (PGlite), as `npm start` runs, one process.
    embedded = os.environ.get("GC_MODEL_EMBEDDED") == "1"
    database = os.environ.get("GC_MODEL_DATABASE_URL")
    if not database and not embedded:
        pytest.skip("GC_MODEL_DATABASE_URL is not set")
    s3_endpoint = os.environ.get("GC_MODEL_S3_ENDPOINT")
    env = {
        **({} if embedded else {"CATALOG_DATABASE_URL": database}),
        "CATALOG_GC_GRACE_MS": "0",
        "CATALOG_GC_ORPHAN_MODE": "delete",
        "CATALOG_GC_SCHEDULE": "off",
        "CATALOG_GC_ORPHAN_SCHEDULE": "off",
        "CATALOG_GC_DROP_RETENTION_MS": str(24 * 3600 * 1000),
        "CATALOG_CLONE_EXPIRY_INTERVAL_MS": "200",
        "CATALOG_DATA_DIR": str(tmp_path / "data"),
    }
    # A warehouse of its own per test: the database may be shared, a warehouse's root may not.
    warehouse = f"wh{uuid.uuid4().hex[:8]}"
    env["CATALOG_WAREHOUSE_NAME"] = warehouse
    props = {"type": "rest", "warehouse": warehouse}
    minio = None
    if os.environ.get("GC_MODEL_VENDING") == "1":
        # Engines on vended credentials: MinIO (which enforces them), the catalog vending with
        # MinIO's root keys in its own environment, PyIceberg with no key at all.
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "vending"))
        from stores import Minio

        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        minio = Minio(tmp_path / "minio", free_port())
        minio.start()
        client = minio.root_client()
        bucket = "gc-model"
        client.create_bucket(Bucket=bucket)
        root = f"s3://{bucket}/wh"
        env.update(
            CATALOG_WAREHOUSE_LOCATION=root, CATALOG_S3_ENDPOINT=minio.endpoint, CATALOG_S3_PATH_STYLE="true",
            CATALOG_S3_VENDING="sts", CATALOG_S3_VENDING_ROLE_ARN="arn:aws:iam::000000000000:role/catalog-vended",
            AWS_ACCESS_KEY_ID=minio.root_user, AWS_SECRET_ACCESS_KEY=minio.root_password,
        )
        props.update({"s3.endpoint": minio.endpoint, "s3.region": "us-east-1", "s3.force-virtual-addressing": "false", "s3.resolve-region": "false"})
        list_storage = lambda: s3_files(client, bucket, "wh/")  # noqa: E731
    elif s3_endpoint:
        import boto3

        bucket = f"gc-model-{uuid.uuid4().hex[:8]}"
        client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
        client.create_bucket(Bucket=bucket)
        root = f"s3://{bucket}/wh"
        env.update(CATALOG_WAREHOUSE_LOCATION=root, CATALOG_S3_ENDPOINT=s3_endpoint, CATALOG_S3_PATH_STYLE="true")
        props.update(
            {
                "s3.endpoint": s3_endpoint,
                "s3.region": "us-east-1",
                "s3.force-virtual-addressing": "false",
                "s3.resolve-region": "false",
                "s3.access-key-id": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
                "s3.secret-access-key": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
            }
        )
        list_storage = lambda: s3_files(client, bucket, "wh/")  # noqa: E731
    else:
        root_dir = tmp_path / "warehouse"
        root_dir.mkdir()
        root = f"file://{root_dir}"
        env["CATALOG_WAREHOUSE_LOCATION"] = root
        list_storage = lambda: local_files(str(root_dir))  # noqa: E731
    server = CatalogServer(env, tmp_path / "server.log")
    server.start()
    props["uri"] = server.uri
    try:
        yield server, props, list_storage, root, env, tmp_path
    finally:
        server.stop()
        if minio is not None:
            minio.stop()



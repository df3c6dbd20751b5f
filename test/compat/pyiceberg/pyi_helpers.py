"""Small helpers shared by the PyIceberg compatibility tests."""

from __future__ import annotations

import inspect
import os
from typing import Any

import pyarrow as pa
import pytest
from pyiceberg.table import Table

import pyiceberg


def catalog_properties() -> dict[str, str]:
    props: dict[str, str] = {
        "type": "rest",
        "uri": os.environ.get("CATALOG_URI", "http://127.0.0.1:8181"),
        "warehouse": os.environ.get("CATALOG_WAREHOUSE", "default"),
    }
    s3_endpoint = os.environ.get("S3_ENDPOINT")
    if s3_endpoint:
        # Property names as defined in pyiceberg/io/__init__.py.
        props["s3.endpoint"] = s3_endpoint
        if "AWS_ACCESS_KEY_ID" in os.environ:
            props["s3.access-key-id"] = os.environ["AWS_ACCESS_KEY_ID"]
        if "AWS_SECRET_ACCESS_KEY" in os.environ:
            props["s3.secret-access-key"] = os.environ["AWS_SECRET_ACCESS_KEY"]
        if os.environ.get("AWS_SESSION_TOKEN"):
            props["s3.session-token"] = os.environ["AWS_SESSION_TOKEN"]
        props["s3.region"] = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        # PyIceberg's PyArrow FileIO has no "path-style-access" switch: path-style
        # addressing is what you get with force-virtual-addressing=false (the
        # Java-style key is passed too; PyIceberg ignores unknown keys).
        props["s3.force-virtual-addressing"] = "false"
        props["s3.path-style-access"] = "true"
        # Never try to resolve the bucket region against real AWS.
        props["s3.resolve-region"] = "false"
    return props



def rows(table_or_arrow: Table | pa.Table | Any, sort_by: tuple[str, ...] | str = "id") -> list[dict[str, Any]]:
    """Materialise rows as sorted python dicts. Accepts a Table, a DataScan or an Arrow table."""
    if isinstance(table_or_arrow, Table):
        arrow = table_or_arrow.scan().to_arrow()
    elif isinstance(table_or_arrow, pa.Table):
        arrow = table_or_arrow
    else:  # DataScan
        arrow = table_or_arrow.to_arrow()
    keys = (sort_by,) if isinstance(sort_by, str) else sort_by
    return sorted(arrow.to_pylist(), key=lambda r: tuple(_sort_key(r[k]) for k in keys))


def _sort_key(v: Any) -> tuple[int, Any]:
    return (0, None) if v is None else (1, v)


def arrow_for(table: Table, data: list[dict[str, Any]]) -> pa.Table:
    """Build an Arrow table that exactly matches the Iceberg table's current schema."""
    return pa.Table.from_pylist(data, schema=table.schema().as_arrow())


def supports_kwarg(fn: Any, name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


PYICEBERG_VERSION = tuple(int(p) for p in pyiceberg.__version__.split(".")[:2] if p.isdigit())


def _has_pyiceberg_core() -> bool:
    try:
        import pyiceberg_core  # noqa: F401
    except ImportError:
        return False
    return True


# PyIceberg computes bucket/day/month/... partition values for writes with the
# optional `pyiceberg-core` package (`pip install "pyiceberg[pyarrow,pyiceberg-core]"`).
# Identity partitions work without it.
HAS_PYICEBERG_CORE = _has_pyiceberg_core()
needs_pyiceberg_core = pytest.mark.skipif(
    not HAS_PYICEBERG_CORE,
    reason='writing to transform-partitioned tables needs pyiceberg-core: pip install "pyiceberg[pyarrow,pyiceberg-core]"',
)

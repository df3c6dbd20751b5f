"""PyIceberg 0.12 with no S3 key: it asks for vended credentials by default
(X-Iceberg-Access-Delegation) and uses the keys of each table answer. It writes a table, reads
a clone of it (whose files lie under the source's location), writes the clone; and its FileIO,
holding those keys, can neither delete a file nor write into the clone's source.
"""

from __future__ import annotations

import pyarrow as pa
import pytest
from conftest import BUCKET, WAREHOUSE
from pyiceberg.catalog import load_catalog
from pyiceberg.schema import Schema
from pyiceberg.types import LongType, NestedField, StringType

SCHEMA = Schema(NestedField(1, "id", LongType(), required=False), NestedField(2, "name", StringType(), required=False))


def rows(n: int, start: int = 0) -> pa.Table:
    return pa.table({"id": pa.array(range(start, start + n), pa.int64()), "name": [f"row-{i}" for i in range(start, start + n)]})


@pytest.fixture
def catalog(stack):
    # Only the catalog's URI and warehouse: no s3.* property, no key in the environment.
    return load_catalog("vending", type="rest", uri=stack.uri, warehouse=WAREHOUSE)


def test_write_read_and_clone_with_vended_keys_only(stack, catalog, namespace):
    table = catalog.create_table((namespace, "orders"), SCHEMA)
    assert "s3.access-key-id" in table.io.properties and "s3.session-token" in table.io.properties, "the answer's keys"
    table.append(rows(3))
    assert catalog.load_table((namespace, "orders")).scan().to_arrow().num_rows == 3

    stack.clone(namespace, "orders", namespace, "orders_clone")
    clone = catalog.load_table((namespace, "orders_clone"))
    assert sorted(clone.scan().to_arrow()["id"].to_pylist()) == [0, 1, 2], "the clone reads its source's files"
    clone.append(rows(2, start=10))
    assert clone.scan().to_arrow().num_rows == 5
    assert catalog.load_table((namespace, "orders")).scan().to_arrow().num_rows == 3, "the source is untouched"
    clone_location = stack.location(namespace, "orders_clone")
    assert any(k.endswith(".parquet") for k in stack.keys_under(f"{clone_location}/data")), "the clone's rows went under its own location"


def test_keys_from_the_catalog_delete_nothing_and_never_write_into_a_source(stack, catalog, namespace):
    table = catalog.create_table((namespace, "events"), SCHEMA)
    table.append(rows(4))
    stack.clone(namespace, "events", namespace, "events_clone")
    clone = catalog.load_table((namespace, "events_clone"))
    source_location = stack.location(namespace, "events")
    source_files = [f"s3://{BUCKET}/{k}" for k in stack.keys_under(f"{source_location}/data")]
    assert source_files

    with pytest.raises(Exception) as deleted:
        clone.io.delete(source_files[0])
    assert "denied" in str(deleted.value).lower() or "forbidden" in str(deleted.value).lower() or "403" in str(deleted.value)
    with pytest.raises(Exception):
        catalog.load_table((namespace, "events")).io.delete(source_files[0])
    with pytest.raises(Exception):
        with clone.io.new_output(f"{source_location}/data/planted.parquet").create() as out:
            out.write(b"not parquet")
    assert f"{source_location}/data/planted.parquet".removeprefix(f"s3://{BUCKET}/") not in stack.keys_under(source_location)
    assert [f"s3://{BUCKET}/{k}" for k in stack.keys_under(f"{source_location}/data")] == source_files, "every file is still there"
    assert clone.scan().to_arrow().num_rows == 4

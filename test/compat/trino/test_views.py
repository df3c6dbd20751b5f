"""Iceberg views through Trino: CREATE VIEW, SELECT, CREATE OR REPLACE VIEW, DROP VIEW.

Trino stores its views in the REST catalog (the /views routes) when the catalog advertises
them in /v1/config "endpoints"; without them every view statement fails with "Server does not
support endpoint".
"""

from __future__ import annotations

import pytest
from trino.exceptions import TrinoUserError
from trino_helpers import CATALOG


@pytest.fixture
def base_table(trino, schema) -> str:
    t = f"{CATALOG}.{schema}.base"
    trino.execute(f"CREATE TABLE {t} (id bigint, name varchar)")
    trino.execute(f"INSERT INTO {t} VALUES (1, 'one'), (2, 'two'), (3, 'three')")
    return t


def test_create_and_select_view(trino, rest, schema, base_table):
    v = f"{CATALOG}.{schema}.big"
    trino.execute(f"CREATE VIEW {v} COMMENT 'ids over one' AS SELECT id, upper(name) AS name FROM {base_table} WHERE id > 1")
    assert trino.query(f"SELECT id, name FROM {v} ORDER BY id") == [(2, "TWO"), (3, "THREE")]
    assert sorted(trino.query(f"SHOW TABLES FROM {CATALOG}.{schema}")) == [("base",), ("big",)]
    assert trino.query(f"SELECT table_name FROM {CATALOG}.information_schema.views WHERE table_schema = '{schema}'") == [("big",)]

    response = rest.view(schema, "big")
    assert response.status_code == 200, response.text
    metadata = response.json()["metadata"]
    version = next(v for v in metadata["versions"] if v["version-id"] == metadata["current-version-id"])
    assert [r["dialect"] for r in version["representations"]] == ["trino"]
    assert "upper(name)" in version["representations"][0]["sql"]

    # The view follows its table.
    trino.execute(f"INSERT INTO {base_table} VALUES (4, 'four')")
    assert trino.query(f"SELECT id FROM {v} ORDER BY id") == [(2,), (3,), (4,)]


def test_create_or_replace_view(trino, rest, schema, base_table):
    v = f"{CATALOG}.{schema}.pick"
    trino.execute(f"CREATE VIEW {v} AS SELECT id FROM {base_table} WHERE id = 1")
    assert trino.query(f"SELECT * FROM {v}") == [(1,)]
    with pytest.raises(TrinoUserError, match="already exists"):
        trino.execute(f"CREATE VIEW {v} AS SELECT id FROM {base_table}")

    trino.execute(f"CREATE OR REPLACE VIEW {v} AS SELECT id, name FROM {base_table} WHERE id >= 2")
    assert trino.query(f"SELECT * FROM {v} ORDER BY id") == [(2, "two"), (3, "three")]
    response = rest.view(schema, "pick")
    assert response.status_code == 200, response.text
    assert [c["name"] for c in response.json()["metadata"]["schemas"][-1]["fields"]] == ["id", "name"]


def test_drop_view(trino, rest, schema, base_table):
    v = f"{CATALOG}.{schema}.temp"
    trino.execute(f"CREATE VIEW {v} AS SELECT count(*) AS n FROM {base_table}")
    assert trino.query(f"SELECT n FROM {v}") == [(3,)]
    trino.execute(f"DROP VIEW {v}")
    assert rest.view(schema, "temp").status_code == 404
    with pytest.raises(TrinoUserError, match="does not exist"):
        trino.query(f"SELECT * FROM {v}")
    assert trino.query(f"SHOW TABLES FROM {CATALOG}.{schema}") == [("base",)]
    # The table under it is untouched.
    assert trino.scalar(f"SELECT count(*) FROM {base_table}") == 3

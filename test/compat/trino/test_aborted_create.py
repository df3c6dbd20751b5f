"""A create that Trino aborts leaves nothing registered in the catalog, and no files behind.

What Trino 476 does: when the schema answers a `location`, CREATE TABLE and CTAS build the
table in a transaction that starts with a staged create (POST .../tables with
"stage-create": true, which registers nothing), write data files under the staged location,
and register the table only with the final commit (POST .../tables/{t} with an
"assert-create" requirement). A query that fails before that commit never sends it, and
Trino's writers delete the files they wrote. Without a schema location Trino would instead
create the table eagerly (registered at once) and a failure would leave it behind: that was
the issue this suite guards.
"""

from __future__ import annotations

import pytest
from trino.exceptions import TrinoUserError
from trino_helpers import CATALOG, list_files


def _files_of(rest, schema: str, table: str) -> list[str]:
    root = rest.namespace_location(schema)
    return [f for f in list_files(root) if f.removeprefix(root + "/").startswith(f"{table}-")]


def test_failed_ctas_registers_nothing(trino, rest, schema):
    trino.execute(f"CREATE TABLE {CATALOG}.{schema}.keep (id bigint)")
    with pytest.raises(TrinoUserError, match="Division by zero"):
        trino.execute(f"CREATE TABLE {CATALOG}.{schema}.bad AS SELECT x, 10 / (x - 500) AS y FROM UNNEST(sequence(1, 1000)) AS u(x)")
    with pytest.raises(TrinoUserError, match="Cannot cast"):
        trino.execute(f"CREATE TABLE {CATALOG}.{schema}.bad AS SELECT CAST(v AS integer) AS n FROM (VALUES '1', 'x') AS u(v)")

    assert rest.table(schema, "bad").status_code == 404
    assert rest.tables(schema) == ["keep"]
    assert trino.query(f"SHOW TABLES FROM {CATALOG}.{schema}") == [("keep",)]
    assert _files_of(rest, schema, "bad") == []

    # The name is free: the same CTAS without the failure succeeds.
    trino.execute(f"CREATE TABLE {CATALOG}.{schema}.bad AS SELECT x FROM UNNEST(sequence(1, 3)) AS u(x)")
    assert trino.query(f"SELECT x FROM {CATALOG}.{schema}.bad ORDER BY x") == [(1,), (2,), (3,)]


def test_invalid_create_registers_nothing(trino, rest, schema):
    with pytest.raises(TrinoUserError):
        trino.execute(f"CREATE TABLE {CATALOG}.{schema}.bad (id bigint) WITH (partitioning = ARRAY['nope'])")
    with pytest.raises(TrinoUserError):
        trino.execute(f"CREATE TABLE {CATALOG}.{schema}.bad (id bigint) WITH (format = 'NOPE')")
    assert rest.tables(schema) == []
    assert _files_of(rest, schema, "bad") == []

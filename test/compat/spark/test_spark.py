"""Spark 3.5 + Iceberg runtime against our REST catalog.

Each test exercises one family of catalog interactions the way a Spark user
would trigger them (SQL only), and checks row contents exactly so that a
commit the server acknowledged but applied wrongly is caught, not only
outright errors. Comments name the REST calls each step relies on.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from pyspark.sql.utils import AnalysisException

# Must match the catalog name configured in conftest.py. (Not imported from
# there: the PyIceberg suite has its own conftest module, and importing
# "conftest" by name would pick whichever suite was collected first.)
CATALOG = "cat"


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def rows(spark, sql: str) -> list[tuple]:
    """Run a query and return its rows as plain tuples."""
    return [tuple(r) for r in spark.sql(sql).collect()]


def table_rows(spark, table: str, cols: str = "*", order: str = "id") -> list[tuple]:
    return rows(spark, f"SELECT {cols} FROM {table} ORDER BY {order}")


def snapshots(spark, table: str) -> list[dict]:
    """Snapshots oldest first, with committed_at rendered in UTC."""
    return [
        r.asDict()
        for r in spark.sql(
            f"SELECT snapshot_id, parent_id, operation, "
            f"CAST(committed_at AS STRING) AS committed_at "
            f"FROM {table}.snapshots ORDER BY committed_at, snapshot_id"
        ).collect()
    ]


def refs(spark, table: str) -> dict[str, tuple[str, int]]:
    return {
        r["name"]: (r["type"], r["snapshot_id"])
        for r in spark.sql(f"SELECT name, type, snapshot_id FROM {table}.refs").collect()
    }


def current_snapshot_id(spark, table: str) -> int | None:
    main = refs(spark, table).get("main")
    return main[1] if main else None


def table_names(spark, ns: str) -> set[str]:
    return {r["tableName"] for r in spark.sql(f"SHOW TABLES IN {CATALOG}.{ns}").collect()}


def namespace_names(spark, parent: str | None = None) -> set[str]:
    where = f"{CATALOG}.{parent}" if parent else CATALOG
    return {r[0] for r in spark.sql(f"SHOW NAMESPACES IN {where}").collect()}


def tbl_properties(spark, table: str) -> dict[str, str]:
    return {r["key"]: r["value"] for r in spark.sql(f"SHOW TBLPROPERTIES {table}").collect()}


def create_people(spark, table: str, props: str = "") -> None:
    """A small v2 table partitioned by an identity and a transform."""
    extra = f", {props}" if props else ""
    spark.sql(
        f"""
        CREATE TABLE {table} (
            id BIGINT NOT NULL,
            name STRING,
            dept STRING,
            salary DECIMAL(10, 2),
            joined TIMESTAMP
        ) USING iceberg
        PARTITIONED BY (dept, days(joined))
        TBLPROPERTIES ('format-version' = '2'{extra})
        """
    )


PEOPLE = [
    (1, "ada", "eng", Decimal("100.00"), "2024-01-01 10:00:00"),
    (2, "bob", "eng", Decimal("90.50"), "2024-01-02 11:00:00"),
    (3, "cy", "ops", Decimal("70.25"), "2024-01-02 12:00:00"),
    (4, "dee", "sales", Decimal("60.00"), "2024-01-03 09:30:00"),
]


def insert_people(spark, table: str, people=PEOPLE) -> None:
    values = ", ".join(
        f"({i}, '{n}', '{d}', CAST('{s}' AS DECIMAL(10,2)), TIMESTAMP '{t}')"
        for i, n, d, s, t in people
    )
    spark.sql(f"INSERT INTO {table} VALUES {values}")


def people_rows(spark, table: str) -> list[tuple]:
    return table_rows(spark, table, "id, name, dept, salary, CAST(joined AS STRING)")


# ---------------------------------------------------------------------------
# namespaces
# ---------------------------------------------------------------------------


def test_namespace_lifecycle(spark, fresh_ns_name):
    ns = fresh_ns_name
    # POST /namespaces
    spark.sql(f"CREATE NAMESPACE {CATALOG}.{ns} WITH DBPROPERTIES ('owner-team' = 'compat')")
    # GET /namespaces
    assert ns in namespace_names(spark)
    # HEAD or GET /namespaces/{ns}: already exists -> no error with IF NOT EXISTS
    spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {CATALOG}.{ns}")
    with pytest.raises(AnalysisException, match="(?i)already exists"):
        spark.sql(f"CREATE NAMESPACE {CATALOG}.{ns}")

    # POST /namespaces/{ns}/properties
    spark.sql(f"ALTER NAMESPACE {CATALOG}.{ns} SET DBPROPERTIES ('k1' = 'v1', 'k2' = 'v2')")
    desc = {
        r[0]: r[1]
        for r in spark.sql(f"DESCRIBE NAMESPACE EXTENDED {CATALOG}.{ns}").collect()
    }
    props = desc.get("Properties", "")
    for expected in ("(k1,v1)", "(k2,v2)", "(owner-team,compat)"):
        assert expected in props, desc

    # Nested namespace: GET /namespaces?parent=ns
    spark.sql(f"CREATE NAMESPACE {CATALOG}.{ns}.child")
    assert namespace_names(spark, ns) == {f"{ns}.child"}
    spark.sql(f"DROP NAMESPACE {CATALOG}.{ns}.child")
    assert namespace_names(spark, ns) == set()

    # DELETE /namespaces/{ns}
    spark.sql(f"DROP NAMESPACE {CATALOG}.{ns}")
    assert ns not in namespace_names(spark)
    with pytest.raises(AnalysisException):
        spark.sql(f"DESCRIBE NAMESPACE {CATALOG}.{ns}").collect()


def test_drop_non_empty_namespace_fails(spark, ns):
    spark.sql(f"CREATE TABLE {CATALOG}.{ns}.t (id BIGINT) USING iceberg")
    # The server must refuse (409 NamespaceNotEmpty); Spark surfaces an error.
    with pytest.raises(Exception, match="(?i)not empty|non-?empty|contains"):
        spark.sql(f"DROP NAMESPACE {CATALOG}.{ns}")
    assert table_names(spark, ns) == {"t"}


# ---------------------------------------------------------------------------
# tables: create / write / read
# ---------------------------------------------------------------------------


def test_create_partitioned_table_insert_select(spark, ns):
    t = f"{CATALOG}.{ns}.people"
    create_people(spark, t, "'compat.marker' = 'yes'")
    assert table_names(spark, ns) == {"people"}
    # Table exists but is empty: no snapshot yet.
    assert table_rows(spark, t) == []
    assert current_snapshot_id(spark, t) is None

    # Partition spec round-tripped through the server.
    partitioning = [
        r[1]
        for r in spark.sql(f"DESCRIBE TABLE {t}").collect()
        if r[0].startswith("Part ")
    ]
    assert partitioning == ["dept", "days(joined)"]
    assert tbl_properties(spark, t).get("compat.marker") == "yes"

    insert_people(spark, t)
    assert people_rows(spark, t) == [
        (1, "ada", "eng", Decimal("100.00"), "2024-01-01 10:00:00"),
        (2, "bob", "eng", Decimal("90.50"), "2024-01-02 11:00:00"),
        (3, "cy", "ops", Decimal("70.25"), "2024-01-02 12:00:00"),
        (4, "dee", "sales", Decimal("60.00"), "2024-01-03 09:30:00"),
    ]
    # Predicate + aggregate over partitions.
    assert rows(spark, f"SELECT dept, count(*), sum(salary) FROM {t} GROUP BY dept ORDER BY dept") == [
        ("eng", 2, Decimal("190.50")),
        ("ops", 1, Decimal("70.25")),
        ("sales", 1, Decimal("60.00")),
    ]
    # eng/01-01, eng/01-02, ops/01-02, sales/01-03
    assert rows(spark, f"SELECT count(*) FROM {t}.partitions") == [(4,)]

    snaps = snapshots(spark, t)
    assert len(snaps) == 1 and snaps[0]["operation"] == "append"
    assert current_snapshot_id(spark, t) == snaps[0]["snapshot_id"]

    # A second append builds on the first (parent-id chain kept by server).
    insert_people(spark, t, [(5, "eve", "ops", Decimal("1.00"), "2024-02-01 00:00:00")])
    snaps = snapshots(spark, t)
    assert len(snaps) == 2
    assert snaps[1]["parent_id"] == snaps[0]["snapshot_id"]
    assert rows(spark, f"SELECT count(*) FROM {t}") == [(5,)]

    # Creating the same table again must fail with "already exists".
    with pytest.raises(AnalysisException, match="(?i)already exists"):
        create_people(spark, t)


def test_ctas(spark, ns):
    src = f"{CATALOG}.{ns}.src"
    dst = f"{CATALOG}.{ns}.dst"
    create_people(spark, src)
    insert_people(spark, src)
    # Atomic CTAS: SparkCatalog.stageCreate -> POST /tables with
    # stage-create=true, data written, then POST /tables/{t} carrying an
    # assert-create requirement and the whole initial metadata.
    spark.sql(
        f"""
        CREATE TABLE {dst} USING iceberg
        PARTITIONED BY (bucket(4, id))
        TBLPROPERTIES ('format-version' = '2')
        AS SELECT id, upper(name) AS name, salary * 2 AS double_salary
        FROM {src} WHERE dept = 'eng'
        """
    )
    assert table_names(spark, ns) == {"src", "dst"}
    assert table_rows(spark, dst) == [
        (1, "ADA", Decimal("200.00")),
        (2, "BOB", Decimal("181.00")),
    ]
    assert len(snapshots(spark, dst)) == 1
    assert [
        r[1] for r in spark.sql(f"DESCRIBE TABLE {dst}").collect() if r[0].startswith("Part ")
    ] == ["bucket(4, id)"]

    # CTAS onto an existing name is refused.
    with pytest.raises(AnalysisException, match="(?i)already exists"):
        spark.sql(f"CREATE TABLE {dst} USING iceberg AS SELECT 1 AS id")
    assert rows(spark, f"SELECT count(*) FROM {dst}") == [(2,)]


def test_replace_table_as_select(spark, ns):
    t = f"{CATALOG}.{ns}.t"
    spark.sql(f"CREATE TABLE {t} USING iceberg AS SELECT id, 'old' AS v FROM range(3)")
    old_snapshots = snapshots(spark, t)
    # RTAS: load table, then a replace commit (assert-table-uuid) that adds a
    # new schema/spec and a new snapshot while keeping history.
    spark.sql(
        f"CREATE OR REPLACE TABLE {t} USING iceberg PARTITIONED BY (v) "
        f"AS SELECT id * 10 AS id, 'new' AS v, true AS flag FROM range(2)"
    )
    assert table_rows(spark, t) == [(0, "new", True), (10, "new", True)]
    assert [f.name for f in spark.table(t).schema.fields] == ["id", "v", "flag"]
    snaps = snapshots(spark, t)
    assert len(snaps) == len(old_snapshots) + 1
    # Old snapshot is still readable after the replace.
    old_id = old_snapshots[-1]["snapshot_id"]
    assert rows(spark, f"SELECT count(*) FROM {t} VERSION AS OF {old_id}") == [(3,)]


# ---------------------------------------------------------------------------
# row-level operations (copy-on-write and merge-on-read)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["copy-on-write", "merge-on-read"])
def test_update_delete_merge(spark, ns, mode):
    t = f"{CATALOG}.{ns}.people"
    create_people(
        spark,
        t,
        f"'write.delete.mode' = '{mode}', 'write.update.mode' = '{mode}', "
        f"'write.merge.mode' = '{mode}'",
    )
    insert_people(spark, t)

    spark.sql(f"UPDATE {t} SET salary = salary + 1 WHERE dept = 'eng'")
    assert table_rows(spark, t, "id, salary") == [
        (1, Decimal("101.00")),
        (2, Decimal("91.50")),
        (3, Decimal("70.25")),
        (4, Decimal("60.00")),
    ]

    spark.sql(f"DELETE FROM {t} WHERE id = 3")
    assert table_rows(spark, t, "id") == [(1,), (2,), (4,)]

    spark.createDataFrame(
        [
            (1, "ada", "eng", Decimal("200.00"), "update"),
            (4, "dee", "sales", Decimal("0.00"), "delete"),
            (7, "gus", "ops", Decimal("55.55"), "insert"),
        ],
        "id BIGINT, name STRING, dept STRING, salary DECIMAL(10,2), op STRING",
    ).createOrReplaceTempView("merge_src")
    spark.sql(
        f"""
        MERGE INTO {t} AS tgt
        USING merge_src AS s
        ON tgt.id = s.id
        WHEN MATCHED AND s.op = 'delete' THEN DELETE
        WHEN MATCHED THEN UPDATE SET tgt.salary = s.salary, tgt.name = upper(s.name)
        WHEN NOT MATCHED THEN
          INSERT (id, name, dept, salary, joined)
          VALUES (s.id, s.name, s.dept, s.salary, TIMESTAMP '2024-03-01 00:00:00')
        """
    )
    assert people_rows(spark, t) == [
        (1, "ADA", "eng", Decimal("200.00"), "2024-01-01 10:00:00"),
        (2, "bob", "eng", Decimal("91.50"), "2024-01-02 11:00:00"),
        (7, "gus", "ops", Decimal("55.55"), "2024-03-01 00:00:00"),
    ]

    ops = [s["operation"] for s in snapshots(spark, t)]
    assert ops[0] == "append" and len(ops) == 4, ops
    if mode == "merge-on-read":
        # Position deletes were written and committed as delete files.
        assert rows(spark, f"SELECT count(*) > 0 FROM {t}.delete_files") == [(True,)]


# ---------------------------------------------------------------------------
# branches, tags, time travel, rollback
# ---------------------------------------------------------------------------


def test_branches_and_tags(spark, ns):
    t = f"{CATALOG}.{ns}.t"
    spark.sql(f"CREATE TABLE {t} (id BIGINT, v STRING) USING iceberg TBLPROPERTIES ('format-version'='2')")
    spark.sql(f"INSERT INTO {t} VALUES (1, 'a'), (2, 'b')")
    base = current_snapshot_id(spark, t)

    # set-snapshot-ref updates via POST /tables/{t}
    spark.sql(f"ALTER TABLE {t} CREATE TAG v1")
    spark.sql(f"ALTER TABLE {t} CREATE BRANCH dev RETAIN 7 DAYS WITH SNAPSHOT RETENTION 2 SNAPSHOTS")
    assert refs(spark, t) == {
        "main": ("BRANCH", base),
        "v1": ("TAG", base),
        "dev": ("BRANCH", base),
    }

    # Write to the branch only: commit with assert-ref-snapshot-id on "dev".
    spark.sql(f"INSERT INTO {t}.branch_dev VALUES (3, 'c')")
    assert table_rows(spark, t) == [(1, "a"), (2, "b")]  # main unchanged
    assert table_rows(spark, f"{t}.branch_dev") == [(1, "a"), (2, "b"), (3, "c")]
    assert rows(spark, f"SELECT id FROM {t} VERSION AS OF 'dev' ORDER BY id") == [(1,), (2,), (3,)]
    assert rows(spark, f"SELECT id FROM {t} VERSION AS OF 'v1' ORDER BY id") == [(1,), (2,)]
    dev_head = refs(spark, t)["dev"][1]
    assert dev_head != base and current_snapshot_id(spark, t) == base

    # Main moves on independently.
    spark.sql(f"INSERT INTO {t} VALUES (4, 'd')")
    assert table_rows(spark, t, "id") == [(1,), (2,), (4,)]
    assert table_rows(spark, f"{t}.branch_dev", "id") == [(1,), (2,), (3,)]

    # Replace the tag onto main's new head, then drop tag and branch
    # (remove-snapshot-ref).
    spark.sql(f"ALTER TABLE {t} REPLACE TAG v1 AS OF VERSION {current_snapshot_id(spark, t)}")
    assert rows(spark, f"SELECT id FROM {t} VERSION AS OF 'v1' ORDER BY id") == [(1,), (2,), (4,)]
    spark.sql(f"ALTER TABLE {t} DROP TAG v1")
    spark.sql(f"ALTER TABLE {t} DROP BRANCH dev")
    assert set(refs(spark, t)) == {"main"}
    with pytest.raises(Exception):
        spark.sql(f"SELECT * FROM {t} VERSION AS OF 'dev'").collect()


def test_fast_forward_branch(spark, ns):
    t = f"{CATALOG}.{ns}.t"
    spark.sql(f"CREATE TABLE {t} (id BIGINT) USING iceberg")
    spark.sql(f"INSERT INTO {t} VALUES (1)")
    spark.sql(f"ALTER TABLE {t} CREATE BRANCH feature")
    spark.sql(f"INSERT INTO {t}.branch_feature VALUES (2)")
    spark.sql(f"INSERT INTO {t}.branch_feature VALUES (3)")
    feature_head = refs(spark, t)["feature"][1]
    spark.sql(f"CALL {CATALOG}.system.fast_forward('{ns}.t', 'main', 'feature')")
    assert current_snapshot_id(spark, t) == feature_head
    assert table_rows(spark, t) == [(1,), (2,), (3,)]


def test_time_travel(spark, ns):
    t = f"{CATALOG}.{ns}.t"
    spark.sql(f"CREATE TABLE {t} (id BIGINT, v STRING) USING iceberg")
    spark.sql(f"INSERT INTO {t} VALUES (1, 'first')")
    # Snapshot timestamps have millisecond resolution; keep them apart so
    # TIMESTAMP AS OF is unambiguous.
    time.sleep(0.05)
    spark.sql(f"INSERT INTO {t} VALUES (2, 'second')")
    time.sleep(0.05)
    spark.sql(f"DELETE FROM {t} WHERE id = 1")
    s1, s2, s3 = snapshots(spark, t)
    assert [s1["operation"], s2["operation"]] == ["append", "append"]
    assert s2["parent_id"] == s1["snapshot_id"] and s3["parent_id"] == s2["snapshot_id"]

    assert table_rows(spark, t) == [(2, "second")]
    assert rows(spark, f"SELECT * FROM {t} VERSION AS OF {s1['snapshot_id']} ORDER BY id") == [(1, "first")]
    assert rows(spark, f"SELECT * FROM {t} VERSION AS OF {s2['snapshot_id']} ORDER BY id") == [
        (1, "first"),
        (2, "second"),
    ]

    spark.sql(f"ALTER TABLE {t} CREATE TAG first_load AS OF VERSION {s1['snapshot_id']}")
    assert rows(spark, f"SELECT * FROM {t} VERSION AS OF 'first_load' ORDER BY id") == [(1, "first")]

    # TIMESTAMP AS OF picks the last snapshot committed at or before it.
    assert rows(spark, f"SELECT * FROM {t} TIMESTAMP AS OF '{s1['committed_at']}' ORDER BY id") == [(1, "first")]
    assert rows(spark, f"SELECT * FROM {t} TIMESTAMP AS OF '{s2['committed_at']}' ORDER BY id") == [
        (1, "first"),
        (2, "second"),
    ]
    with pytest.raises(Exception):
        spark.sql(f"SELECT * FROM {t} TIMESTAMP AS OF '2000-01-01 00:00:00'").collect()

    # History metadata table lists the three snapshots as current ancestors.
    assert rows(spark, f"SELECT count(*) FROM {t}.history WHERE is_current_ancestor") == [(3,)]


def test_rollback_to_snapshot(spark, ns):
    t = f"{CATALOG}.{ns}.t"
    spark.sql(f"CREATE TABLE {t} (id BIGINT) USING iceberg")
    spark.sql(f"INSERT INTO {t} VALUES (1), (2)")
    spark.sql(f"INSERT INTO {t} VALUES (3)")
    spark.sql(f"INSERT INTO {t} VALUES (4)")
    s1, s2, s3 = [s["snapshot_id"] for s in snapshots(spark, t)]

    result = spark.sql(f"CALL {CATALOG}.system.rollback_to_snapshot('{ns}.t', {s1})").collect()
    assert [tuple(r) for r in result] == [(s3, s1)]  # (previous, current)
    assert current_snapshot_id(spark, t) == s1
    assert table_rows(spark, t) == [(1,), (2,)]

    # Rolled-back snapshots stay in metadata; set_current_snapshot can move
    # main forward again.
    spark.sql(f"CALL {CATALOG}.system.set_current_snapshot('{ns}.t', {s2})")
    assert table_rows(spark, t) == [(1,), (2,), (3,)]

    # A write after a rollback branches off the new current snapshot.
    spark.sql(f"INSERT INTO {t} VALUES (5)")
    assert table_rows(spark, t) == [(1,), (2,), (3,), (5,)]
    assert snapshots(spark, t)[-1]["parent_id"] == s2


# ---------------------------------------------------------------------------
# schema evolution, properties, rename, drop
# ---------------------------------------------------------------------------


def test_schema_evolution(spark, ns):
    t = f"{CATALOG}.{ns}.t"
    spark.sql(f"CREATE TABLE {t} (id BIGINT, small INT, note STRING) USING iceberg")
    spark.sql(f"INSERT INTO {t} VALUES (1, 10, 'n1')")

    # add-schema + set-current-schema updates
    spark.sql(f"ALTER TABLE {t} ADD COLUMN extra STRING COMMENT 'added later'")
    spark.sql(f"ALTER TABLE {t} ADD COLUMNS (score DOUBLE, tags ARRAY<STRING>)")
    spark.sql(f"INSERT INTO {t} VALUES (2, 20, 'n2', 'x', 1.5, array('a', 'b'))")
    assert table_rows(spark, t) == [
        (1, 10, "n1", None, None, None),
        (2, 20, "n2", "x", 1.5, ["a", "b"]),
    ]

    spark.sql(f"ALTER TABLE {t} RENAME COLUMN note TO remark")
    spark.sql(f"ALTER TABLE {t} ALTER COLUMN small TYPE BIGINT")  # int -> long widening
    spark.sql(f"ALTER TABLE {t} DROP COLUMN tags")
    spark.sql(f"ALTER TABLE {t} ALTER COLUMN score FIRST")
    schema = spark.table(t).schema
    assert [(f.name, f.dataType.simpleString()) for f in schema.fields] == [
        ("score", "double"),
        ("id", "bigint"),
        ("small", "bigint"),
        ("remark", "string"),
        ("extra", "string"),
    ]
    assert table_rows(spark, t, "id, small, remark, extra, score") == [
        (1, 10, "n1", None, None),
        (2, 20, "n2", "x", 1.5),
    ]
    # Older snapshot still reads with its own schema.
    first = snapshots(spark, t)[0]["snapshot_id"]
    assert rows(spark, f"SELECT * FROM {t} VERSION AS OF {first}") == [(1, 10, "n1")]

    # Partition evolution (extensions) and sort order: add/set spec and order.
    spark.sql(f"ALTER TABLE {t} ADD PARTITION FIELD bucket(2, id)")
    spark.sql(f"ALTER TABLE {t} WRITE ORDERED BY id")
    spark.sql(f"INSERT INTO {t} (id, small, remark, extra, score) VALUES (3, 30, 'n3', 'y', 2.5)")
    assert table_rows(spark, t, "id") == [(1,), (2,), (3,)]
    assert [
        r[1] for r in spark.sql(f"DESCRIBE TABLE {t}").collect() if r[0].startswith("Part ")
    ] == ["bucket(2, id)"]


def test_table_properties(spark, ns):
    t = f"{CATALOG}.{ns}.t"
    spark.sql(f"CREATE TABLE {t} (id BIGINT) USING iceberg TBLPROPERTIES ('a' = '1')")
    # set-properties / remove-properties updates
    spark.sql(f"ALTER TABLE {t} SET TBLPROPERTIES ('b' = '2', 'a' = '10')")
    props = tbl_properties(spark, t)
    assert props["a"] == "10" and props["b"] == "2"
    spark.sql(f"ALTER TABLE {t} UNSET TBLPROPERTIES ('a')")
    props = tbl_properties(spark, t)
    assert "a" not in props and props["b"] == "2"
    # Property changes don't create snapshots.
    assert snapshots(spark, t) == []


def test_rename_table(spark, ns):
    src = f"{CATALOG}.{ns}.before"
    spark.sql(f"CREATE TABLE {src} (id BIGINT) USING iceberg")
    spark.sql(f"INSERT INTO {src} VALUES (1), (2)")
    # POST /tables/rename (target given relative to the catalog)
    spark.sql(f"ALTER TABLE {src} RENAME TO {ns}.after")
    assert table_names(spark, ns) == {"after"}
    assert table_rows(spark, f"{CATALOG}.{ns}.after") == [(1,), (2,)]
    spark.sql(f"INSERT INTO {CATALOG}.{ns}.after VALUES (3)")
    assert table_rows(spark, f"{CATALOG}.{ns}.after") == [(1,), (2,), (3,)]
    with pytest.raises(AnalysisException):
        spark.sql(f"SELECT * FROM {src}").collect()


@pytest.mark.parametrize("purge", [False, True])
def test_drop_table(spark, ns, purge):
    t = f"{CATALOG}.{ns}.t"
    spark.sql(f"CREATE TABLE {t} (id BIGINT, v STRING) USING iceberg")
    spark.sql(f"INSERT INTO {t} VALUES (1, 'x')")
    # DELETE /tables/{t}[?purgeRequested=true]
    spark.sql(f"DROP TABLE {t}{' PURGE' if purge else ''}")
    assert table_names(spark, ns) == set()
    with pytest.raises(AnalysisException):
        spark.sql(f"SELECT * FROM {t}").collect()
    spark.sql(f"DROP TABLE IF EXISTS {t}")  # no error once gone

    # Same name can be created again and starts empty.
    spark.sql(f"CREATE TABLE {t} (id BIGINT, v STRING) USING iceberg")
    assert table_rows(spark, t) == []
    assert snapshots(spark, t) == []
    spark.sql(f"INSERT INTO {t} VALUES (2, 'y')")
    assert table_rows(spark, t) == [(2, "y")]

-- Catalog core: warehouses, namespaces, tables, and the snapshot/ref rows that clones and the
-- garbage collector build on.
--
-- The full metadata document lives in iceberg_table.metadata_json as text, not jsonb: jsonb
-- would be parsed by drivers with JSON.parse, which rounds int64 snapshot ids. Serving a
-- load is then one row read and no object-storage read.

-- A warehouse is one storage root; the REST prefix names it.
CREATE TABLE warehouse (
    warehouse_id uuid PRIMARY KEY,
    name         text NOT NULL UNIQUE,
    location     text NOT NULL,
    properties   jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Namespaces nest; `levels` is the full path, parent_id makes "direct children" a lookup.
CREATE TABLE namespace (
    namespace_id uuid PRIMARY KEY,
    warehouse_id uuid NOT NULL REFERENCES warehouse (warehouse_id),
    parent_id    uuid REFERENCES namespace (namespace_id),
    levels       text[] NOT NULL,
    properties   jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (warehouse_id, levels)
);
CREATE INDEX namespace_children ON namespace (warehouse_id, parent_id, levels);

-- `version` is the compare-and-swap counter: a commit updates the row only where the version
-- is still the one it read. It also numbers the metadata files.
-- Dropped tables keep their row (dropped_at set) so they stay restorable and their files
-- stay rooted until the collector purges them.
CREATE TABLE iceberg_table (
    table_id          uuid PRIMARY KEY,
    warehouse_id      uuid NOT NULL REFERENCES warehouse (warehouse_id),
    -- Live tables keep their namespace from being dropped; a dropped table outlives it.
    namespace_id      uuid REFERENCES namespace (namespace_id) ON DELETE SET NULL,
    name              text NOT NULL,
    table_uuid        text NOT NULL,
    location          text NOT NULL,
    format_version    smallint NOT NULL,
    metadata_location text NOT NULL,
    metadata_json     text NOT NULL,
    version           bigint NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    dropped_at        timestamptz,
    purge_requested   boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX iceberg_table_live_name ON iceberg_table (namespace_id, name) WHERE dropped_at IS NULL;
CREATE INDEX iceberg_table_location ON iceberg_table (warehouse_id, location text_pattern_ops) WHERE dropped_at IS NULL;

-- One row per retained snapshot: the roots a clone pins and the collector counts.
CREATE TABLE snapshot (
    table_id           uuid NOT NULL REFERENCES iceberg_table (table_id) ON DELETE CASCADE,
    snapshot_id        bigint NOT NULL,
    parent_snapshot_id bigint,
    sequence_number    bigint NOT NULL,
    timestamp_ms       bigint NOT NULL,
    manifest_list      text,
    schema_id          integer,
    operation          text,
    PRIMARY KEY (table_id, snapshot_id)
);

CREATE TABLE snapshot_ref (
    table_id              uuid NOT NULL REFERENCES iceberg_table (table_id) ON DELETE CASCADE,
    name                  text NOT NULL,
    type                  text NOT NULL CHECK (type IN ('branch', 'tag')),
    snapshot_id           bigint NOT NULL,
    max_ref_age_ms        bigint,
    max_snapshot_age_ms   bigint,
    min_snapshots_to_keep integer,
    PRIMARY KEY (table_id, name)
);

-- Every metadata file the catalog wrote or registered for a table, newest version last.
-- The collector needs these as roots (current and logged) and to find superseded ones.
CREATE TABLE metadata_file (
    table_id          uuid NOT NULL REFERENCES iceberg_table (table_id) ON DELETE CASCADE,
    version           bigint NOT NULL,
    metadata_location text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (table_id, version)
);

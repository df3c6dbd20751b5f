-- Zero-copy clones: where a table was cloned from, and when a clone expires.

-- A clone with a TTL is dropped by the scheduler once expires_at has passed. drop_reason says
-- who dropped a table (user, ttl, promote), for listings and audits.
ALTER TABLE iceberg_table ADD COLUMN expires_at timestamptz;
ALTER TABLE iceberg_table ADD COLUMN drop_reason text;
CREATE INDEX iceberg_table_expiry ON iceberg_table (expires_at) WHERE expires_at IS NOT NULL AND dropped_at IS NULL;

-- One row per clone. The source's identity is copied, not only referenced: the source may be
-- dropped and later purged while the clone lives on.
CREATE TABLE table_lineage (
    table_id           uuid PRIMARY KEY REFERENCES iceberg_table (table_id) ON DELETE CASCADE,
    source_table_id    uuid REFERENCES iceberg_table (table_id) ON DELETE SET NULL,
    source_table_uuid  text NOT NULL,
    source_name        text[] NOT NULL,
    source_snapshot_id bigint,
    -- The source's version right after the clone, for a promote guarded against later changes.
    source_version     bigint NOT NULL,
    point              jsonb NOT NULL,
    operation_id       uuid NOT NULL,
    cloned_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX table_lineage_source ON table_lineage (source_table_id);
CREATE INDEX table_lineage_operation ON table_lineage (operation_id);

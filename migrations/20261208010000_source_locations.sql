-- Where a table's files may live besides its own location: a clone's snapshots name files that
-- its source wrote, under the source's location, and the source's source's (design:
-- clones-and-gc.md). Engines that scope storage settings by prefix (DuckDB builds one S3
-- secret per storage-credentials prefix) need every such location, and vended credentials
-- (later) must cover exactly them. A clone records its source's location and the source's own
-- source_locations when it is made, so the list survives the purge of any ancestor.
ALTER TABLE iceberg_table ADD COLUMN source_locations text[] NOT NULL DEFAULT '{}';

-- Clones made before this: walk the lineage through the ancestors still in the catalog.
WITH RECURSIVE chain(table_id, ancestor_id) AS (
  SELECT table_id, source_table_id FROM table_lineage WHERE source_table_id IS NOT NULL
  UNION
  SELECT c.table_id, l.source_table_id
  FROM chain c JOIN table_lineage l ON l.table_id = c.ancestor_id
  WHERE l.source_table_id IS NOT NULL
)
UPDATE iceberg_table t SET source_locations = s.locations
FROM (
  SELECT c.table_id, array_agg(DISTINCT a.location ORDER BY a.location) AS locations
  FROM chain c JOIN iceberg_table a ON a.table_id = c.ancestor_id
  GROUP BY c.table_id
) s
WHERE t.table_id = s.table_id;

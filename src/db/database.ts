// Kysely table types, one interface per table in migrations/. Bigint columns arrive as
// strings from pg and as bigint or number from PGlite: repositories normalise them.
import type { ColumnType, Generated, Kysely, Transaction } from 'kysely';

type Int8 = ColumnType<string | number | bigint, string | number | bigint, string | number | bigint>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface WarehouseTable {
  warehouse_id: string;
  name: string;
  location: string;
  properties: Json<Record<string, string>>;
  created_at: Generated<Timestamp>;
  managed_root: Generated<boolean>;
  owner: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface NamespaceTable {
  namespace_id: string;
  warehouse_id: string;
  parent_id: string | null;
  levels: ColumnType<string[], string[], string[]>;
  properties: Json<Record<string, string>>;
  created_at: Generated<Timestamp>;
  owner: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface IcebergTableTable {
  table_id: string;
  warehouse_id: string;
  namespace_id: string | null;
  name: string;
  table_uuid: string;
  location: string;
  format_version: number;
  metadata_location: string;
  metadata_json: string;
  version: Int8;
  created_at: Generated<Timestamp>;
  updated_at: Generated<Timestamp>;
  dropped_at: Timestamp | null;
  purge_requested: Generated<boolean>;
  expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  drop_reason: string | null;
  dropped_namespace: ColumnType<string[] | null, string[] | null | undefined, string[] | null>;
  /** 'table' or 'view': both live in this table and share its names (migrations/20261208000000_views.sql). */
  kind: Generated<'table' | 'view'>;
  /** Locations of the tables a clone descends from (migrations/20261208010000_source_locations.sql). */
  source_locations: ColumnType<string[], string[] | undefined, string[]>;
  /** Who made it (migrations/20261208030000_authorization.sql). */
  owner: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface TableLineageTable {
  table_id: string;
  source_table_id: string | null;
  source_table_uuid: string;
  source_name: ColumnType<string[], string[], string[]>;
  source_snapshot_id: Int8 | null;
  source_version: Int8;
  point: Json<unknown>;
  operation_id: string;
  cloned_at: Generated<Timestamp>;
}

export interface SnapshotTable {
  table_id: string;
  snapshot_id: Int8;
  parent_snapshot_id: Int8 | null;
  sequence_number: Int8;
  timestamp_ms: Int8;
  manifest_list: string | null;
  schema_id: number | null;
  operation: string | null;
}

export interface SnapshotRefTable {
  table_id: string;
  name: string;
  type: 'branch' | 'tag';
  snapshot_id: Int8;
  max_ref_age_ms: Int8 | null;
  max_snapshot_age_ms: Int8 | null;
  min_snapshots_to_keep: number | null;
}

export interface MetadataFileTable {
  table_id: string;
  version: Int8;
  metadata_location: string;
  created_at: Generated<Timestamp>;
}

export interface AuthClientTable {
  client_id: string;
  secret_hash: string;
  principal: string;
  created_at: Generated<Timestamp>;
  created_by: string | null;
  disabled_at: Timestamp | null;
}

export interface AuthSigningKeyTable {
  kid: string;
  private_jwk: string;
  public_jwk: string;
  created_at: Generated<Timestamp>;
  signs_until: Timestamp;
  verifies_until: Timestamp;
}

export interface AuthRoleTable {
  name: string;
  created_at: Generated<Timestamp>;
  created_by: string | null;
}

export interface AuthRoleMemberTable {
  role: string;
  member_kind: 'principal' | 'group' | 'role';
  member: string;
}

export interface AuthGrantTable {
  securable_id: string;
  securable_kind: 'warehouse' | 'namespace' | 'table' | 'view';
  grantee_kind: 'principal' | 'group' | 'role';
  grantee: string;
  privilege: string;
  granted_by: string | null;
  granted_at: Generated<Timestamp>;
}

export interface Database {
  warehouse: WarehouseTable;
  namespace: NamespaceTable;
  iceberg_table: IcebergTableTable;
  snapshot: SnapshotTable;
  snapshot_ref: SnapshotRefTable;
  metadata_file: MetadataFileTable;
  table_lineage: TableLineageTable;
  auth_client: AuthClientTable;
  auth_signing_key: AuthSigningKeyTable;
  auth_role: AuthRoleTable;
  auth_role_member: AuthRoleMemberTable;
  auth_grant: AuthGrantTable;
  auth_epoch: { singleton: Generated<boolean>; epoch: Int8 };
}

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Functions that only read can run on either; writers that must be atomic take a Tx. */
export type DbOrTx = Db | Tx;

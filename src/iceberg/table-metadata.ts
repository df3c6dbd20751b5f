// Table metadata in its wire form (kebab-case keys, as the Iceberg spec and every engine
// write it). Keeping the wire form as the domain form means a metadata document round-trips
// without losing fields this catalog does not know about yet.
import type { Int64 } from '../json/int64-json.js';

export type IcebergType = string | StructType | ListType | MapType;

export interface NestedField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
  doc?: string;
  'initial-default'?: unknown;
  'write-default'?: unknown;
  [extra: string]: unknown;
}

export interface StructType {
  type: 'struct';
  fields: NestedField[];
}

export interface ListType {
  type: 'list';
  'element-id': number;
  element: IcebergType;
  'element-required': boolean;
}

export interface MapType {
  type: 'map';
  'key-id': number;
  key: IcebergType;
  'value-id': number;
  value: IcebergType;
  'value-required': boolean;
}

export interface Schema extends StructType {
  'schema-id'?: number;
  'identifier-field-ids'?: number[];
}

export interface PartitionField {
  'field-id'?: number;
  'source-id': number;
  'source-ids'?: number[];
  name: string;
  transform: string;
}

export interface PartitionSpec {
  'spec-id'?: number;
  fields: PartitionField[];
}

export interface SortField {
  'source-id': number;
  'source-ids'?: number[];
  transform: string;
  direction: 'asc' | 'desc';
  'null-order': 'nulls-first' | 'nulls-last';
}

export interface SortOrder {
  'order-id': number;
  fields: SortField[];
}

export interface Snapshot {
  'snapshot-id': Int64;
  'parent-snapshot-id'?: Int64 | null;
  'sequence-number'?: Int64;
  'timestamp-ms': Int64;
  'manifest-list'?: string;
  manifests?: string[];
  summary: { operation: string; [key: string]: string };
  'schema-id'?: number;
  'first-row-id'?: Int64;
  'added-rows'?: Int64;
  'key-id'?: string;
  [extra: string]: unknown;
}

export interface SnapshotReference {
  type: 'branch' | 'tag';
  'snapshot-id': Int64;
  'max-ref-age-ms'?: Int64;
  'max-snapshot-age-ms'?: Int64;
  'min-snapshots-to-keep'?: number;
}

export interface SnapshotLogEntry {
  'snapshot-id': Int64;
  'timestamp-ms': Int64;
}

export interface MetadataLogEntry {
  'metadata-file': string;
  'timestamp-ms': Int64;
}

export interface StatisticsFile {
  'snapshot-id': Int64;
  'statistics-path': string;
  'file-size-in-bytes': Int64;
  'file-footer-size-in-bytes': Int64;
  'key-metadata'?: string;
  'blob-metadata': unknown[];
}

export interface PartitionStatisticsFile {
  'snapshot-id': Int64;
  'statistics-path': string;
  'file-size-in-bytes': Int64;
}

export interface EncryptedKey {
  'key-id': string;
  'encrypted-key-metadata': string;
  'encrypted-by-id'?: string;
  properties?: Record<string, string>;
}

export type FormatVersion = 1 | 2 | 3;
export const MAX_FORMAT_VERSION: FormatVersion = 3;
export const DEFAULT_FORMAT_VERSION: FormatVersion = 2;
/** Partition field ids start above the column id space (spec: "Partition Evolution"). */
export const PARTITION_FIELD_ID_START = 1000;

export interface TableMetadata {
  'format-version': FormatVersion;
  'table-uuid': string;
  location: string;
  'last-sequence-number': Int64;
  'last-updated-ms': Int64;
  'last-column-id': number;
  schemas: Schema[];
  'current-schema-id': number;
  'partition-specs': PartitionSpec[];
  'default-spec-id': number;
  'last-partition-id': number;
  'sort-orders': SortOrder[];
  'default-sort-order-id': number;
  properties: Record<string, string>;
  'current-snapshot-id': Int64 | null;
  refs: Record<string, SnapshotReference>;
  snapshots: Snapshot[];
  statistics: StatisticsFile[];
  'partition-statistics': PartitionStatisticsFile[];
  'snapshot-log': SnapshotLogEntry[];
  'metadata-log': MetadataLogEntry[];
  'next-row-id'?: Int64;
  'encryption-keys'?: EncryptedKey[];
}

export const MAIN_BRANCH = 'main';

export function currentSchema(metadata: TableMetadata): Schema | undefined {
  return metadata.schemas.find((s) => s['schema-id'] === metadata['current-schema-id']);
}


// What the collector needs from Iceberg's manifest lists and manifests (spec: "Manifest
// Lists", "Manifests"): the files each one references, their sizes, and whether a manifest
// entry is live. Only ADDED and EXISTING entries keep a file alive; a DELETED entry records
// that a snapshot removed it (design: clones-and-gc.md, "Edge").
import { readAvroContainer } from './avro-container.js';

export type ContentKind = 'data' | 'position-deletes' | 'equality-deletes';

export interface ManifestRef {
  path: string;
  length: number;
  /** Data manifests list data files; delete manifests list delete files (format v2+). */
  content: 'data' | 'deletes';
}

export interface ManifestEntryRef {
  status: 'existing' | 'added' | 'deleted';
  path: string;
  size: number;
  content: ContentKind;
}

const STATUS = ['existing', 'added', 'deleted'] as const;
const CONTENT: ContentKind[] = ['data', 'position-deletes', 'equality-deletes'];

/** Avro unions of [null, T] may come wrapped as {T: value} depending on the writer; unwrap them. */
function field(record: Record<string, unknown>, name: string): unknown {
  const value = record[name];
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && ['string', 'long', 'int'].includes(keys[0])) return (value as Record<string, unknown>)[keys[0]];
  }
  return value;
}

function requireString(record: Record<string, unknown>, name: string, where: string): string {
  const value = field(record, name);
  if (typeof value !== 'string') throw new Error(`${where}: field ${name} is missing`);
  return value;
}

export interface ReadLimits {
  /** Bytes the file's blocks may inflate to (see readAvroContainer). */
  maxDecodedBytes?: number;
  /** Entries the file may hold (TooManyRecordsError past it). */
  maxRecords?: number;
}

// Only the fields read below are decoded: the rest of an entry (column statistics, partition
// summaries) is skipped, so the heap holds what the collector keeps and little more.
const MANIFEST_FILE_FIELDS = { manifest_path: true, manifest_length: true, content: true } as const;
const MANIFEST_ENTRY_FIELDS = { status: true, data_file: { file_path: true, file_size_in_bytes: true, content: true } } as const;

export async function readManifestList(bytes: Uint8Array, limits: ReadLimits = {}): Promise<ManifestRef[]> {
  return readAvroContainer(bytes, {
    ...limits,
    fields: MANIFEST_FILE_FIELDS,
    map: (record): ManifestRef => ({
      path: requireString(record, 'manifest_path', 'manifest list'),
      length: Number(field(record, 'manifest_length') ?? 0),
      // v1 manifest lists have no content field: every manifest lists data files.
      content: Number(field(record, 'content') ?? 0) === 1 ? 'deletes' : 'data',
    }),
  });
}

export async function readManifest(bytes: Uint8Array, limits: ReadLimits = {}): Promise<ManifestEntryRef[]> {
  return readAvroContainer(bytes, {
    ...limits,
    fields: MANIFEST_ENTRY_FIELDS,
    map: (entry): ManifestEntryRef => {
      const file = entry.data_file as Record<string, unknown> | undefined;
      if (!file) throw new Error('manifest entry: data_file is missing');
      const status = STATUS[Number(field(entry, 'status'))];
      if (!status) throw new Error(`manifest entry: unknown status ${String(entry.status)}`);
      return {
        status,
        path: requireString(file, 'file_path', 'manifest entry'),
        size: Number(field(file, 'file_size_in_bytes') ?? 0),
        content: CONTENT[Number(field(file, 'content') ?? 0)] ?? 'data',
      };
    },
  });
}

/** Files a manifest keeps alive: its ADDED and EXISTING entries. */
export function liveEntries(entries: ManifestEntryRef[]): ManifestEntryRef[] {
  return entries.filter((e) => e.status !== 'deleted');
}

// View metadata in its wire form (spec: "View Metadata", view-spec.md), read from any writer
// and written in one complete form. Like table metadata, the wire form is the domain form:
// fields this catalog does not know are carried through untouched.
import { isInt64, type Int64 } from '../json/int64-json.js';
import { validationFailed } from './errors.js';
import type { Schema } from './table-metadata.js';

/** The only view format version the spec defines. */
export const VIEW_FORMAT_VERSION = 1;

/** Spec: SQL representations carry `sql` and `dialect`; other types are carried as they are. */
export interface ViewRepresentation {
  type: string;
  sql?: string;
  dialect?: string;
  [extra: string]: unknown;
}

export interface ViewVersion {
  'version-id': number;
  'timestamp-ms': Int64;
  'schema-id': number;
  summary: Record<string, string>;
  representations: ViewRepresentation[];
  'default-catalog'?: string | null;
  'default-namespace': string[];
  [extra: string]: unknown;
}

export interface ViewHistoryEntry {
  'version-id': number;
  'timestamp-ms': Int64;
}

export interface ViewMetadata {
  'view-uuid': string;
  'format-version': number;
  location: string;
  'current-version-id': number;
  versions: ViewVersion[];
  'version-log': ViewHistoryEntry[];
  schemas: Schema[];
  properties: Record<string, string>;
}

type Raw = Record<string, unknown>;

const isObject = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function fail(message: string): never {
  throw validationFailed(`Invalid view metadata: ${message}`);
}

/**
 * A view version as a client or a file gave it: the shape is checked here, the meaning
 * (known schema, one query per dialect) where the version is added (view-builder.ts).
 */
export function checkViewVersionShape(value: unknown, what = 'view version'): ViewVersion {
  if (!isObject(value)) fail(`${what} must be an object`);
  if (!isInt(value['version-id'])) fail(`${what} has no integer version-id`);
  if (!isInt64(value['timestamp-ms'])) fail(`${what} has no integer timestamp-ms`);
  if (!isInt(value['schema-id'])) fail(`${what} has no integer schema-id`);
  const summary = value.summary ?? {};
  if (!isObject(summary) || Object.values(summary).some((v) => typeof v !== 'string')) {
    fail(`the summary of ${what} must map strings to strings`);
  }
  if (!Array.isArray(value.representations)) fail(`${what} has no representations`);
  for (const representation of value.representations) {
    if (!isObject(representation) || typeof representation.type !== 'string') fail(`a representation of ${what} has no type`);
    if (representation.type.toLowerCase() === 'sql') {
      if (typeof representation.sql !== 'string') fail(`an SQL representation of ${what} has no sql`);
      if (typeof representation.dialect !== 'string' || representation.dialect.trim() === '') {
        fail(`an SQL representation of ${what} has no dialect`);
      }
    }
  }
  const defaultNamespace = value['default-namespace'];
  if (!Array.isArray(defaultNamespace) || defaultNamespace.some((level) => typeof level !== 'string')) {
    fail(`${what} has no default-namespace (a list of names)`);
  }
  const defaultCatalog = value['default-catalog'];
  if (defaultCatalog !== undefined && defaultCatalog !== null && typeof defaultCatalog !== 'string') {
    fail(`the default-catalog of ${what} must be a string`);
  }
  return { ...(value as ViewVersion), summary: summary as Record<string, string> };
}

/** Any valid view metadata JSON (a registered file, a stored document) in its complete form. */
export function normalizeViewMetadata(input: unknown): ViewMetadata {
  if (!isObject(input)) fail('the document must be an object');
  if (input['format-version'] !== VIEW_FORMAT_VERSION) fail(`unsupported format version ${String(input['format-version'])}`);
  if (typeof input['view-uuid'] !== 'string' || input['view-uuid'] === '') fail('view-uuid is missing');
  if (typeof input.location !== 'string' || input.location === '') fail('location is missing');
  if (!Array.isArray(input.schemas) || input.schemas.length === 0) fail('no schemas');
  for (const schema of input.schemas) {
    if (!isObject(schema) || !isInt(schema['schema-id']) || !Array.isArray(schema.fields)) fail('a schema has no schema-id or fields');
  }
  if (!Array.isArray(input.versions) || input.versions.length === 0) fail('no versions');
  const versions = input.versions.map((v, i) => checkViewVersionShape(v, `version ${i}`));
  const current = input['current-version-id'];
  if (!isInt(current) || !versions.some((v) => v['version-id'] === current)) fail(`current-version-id ${String(current)} is not a version`);
  const log = Array.isArray(input['version-log']) ? input['version-log'] : fail('version-log is missing');
  for (const entry of log) {
    if (!isObject(entry) || !isInt(entry['version-id']) || !isInt64(entry['timestamp-ms'])) fail('a version-log entry is malformed');
  }
  const properties = input.properties ?? {};
  if (!isObject(properties) || Object.values(properties).some((v) => typeof v !== 'string')) fail('properties must map strings to strings');
  return {
    'view-uuid': input['view-uuid'],
    'format-version': VIEW_FORMAT_VERSION,
    location: input.location,
    'current-version-id': current,
    versions,
    'version-log': log as ViewHistoryEntry[],
    schemas: input.schemas as Schema[],
    properties: { ...(properties as Record<string, string>) },
  };
}

/** The document as written to storage and answered to clients, keys in the spec's order. */
export function toViewDocument(m: ViewMetadata): Record<string, unknown> {
  return {
    'view-uuid': m['view-uuid'],
    'format-version': m['format-version'],
    location: m.location,
    properties: m.properties,
    schemas: m.schemas,
    'current-version-id': m['current-version-id'],
    versions: m.versions,
    'version-log': m['version-log'],
  };
}

export function currentViewVersion(m: ViewMetadata): ViewVersion {
  const version = m.versions.find((v) => v['version-id'] === m['current-version-id']);
  if (!version) throw validationFailed(`Invalid view metadata: current version ${m['current-version-id']} does not exist`);
  return version;
}

/** The version that was current at `timestampMs` by the version log, if it is still kept. */
export function viewVersionAt(m: ViewMetadata, timestampMs: number): ViewVersion | undefined {
  let versionId: number | undefined;
  for (const entry of m['version-log']) {
    if (Number(entry['timestamp-ms']) <= timestampMs) versionId = entry['version-id'];
  }
  return versionId === undefined ? undefined : m.versions.find((v) => v['version-id'] === versionId);
}

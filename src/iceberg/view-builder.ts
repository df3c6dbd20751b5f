// Applies view updates (spec: ViewUpdate) and view requirements (ViewRequirement) to view
// metadata. Pure: metadata and updates in, new metadata out.
//
// Where the spec is silent this follows the reference implementation's behaviour, which the
// REST compatibility kit and engines rely on: identical schemas and versions reuse their ids,
// -1 names the schema or version added (or matched) last in the same commit, a version becoming current is
// logged with its own timestamp when it was added in this commit (else the time of the
// change), a replace may not drop a dialect unless `replace.drop-dialect.allowed` is true, and
// only the newest `version.history.num-entries` versions (default 10) are kept.
import { stringifyJson } from '../json/int64-json.js';
import { badRequest, commitFailed, illegalArgument } from './errors.js';
import type { LocationCheck } from './metadata-builder.js';
import { removeProperties, setProperties } from './property-updates.js';
import { sameSchemaStructure, validateSchema } from './schema.js';
import type { Schema } from './table-metadata.js';
import { MAX_FORMAT_VERSION } from './table-metadata.js';
import {
  VIEW_FORMAT_VERSION,
  checkViewVersionShape,
  currentViewVersion,
  type ViewHistoryEntry,
  type ViewMetadata,
  type ViewVersion,
} from './view-metadata.js';

export type ViewUpdate = { action: string; [field: string]: unknown };
export type ViewRequirement = { type: string; [field: string]: unknown };

const LAST_ADDED = -1;
const HISTORY_SIZE_PROPERTY = 'version.history.num-entries';
const HISTORY_SIZE_DEFAULT = 10;
const DROP_DIALECT_PROPERTY = 'replace.drop-dialect.allowed';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** A view's requirements hold against `base` (409 otherwise). */
export function checkViewRequirements(requirements: unknown, base: ViewMetadata): void {
  if (requirements === undefined) return;
  if (!Array.isArray(requirements)) throw badRequest('Invalid view commit: requirements must be an array');
  for (const requirement of requirements) {
    if (!isObject(requirement) || requirement.type !== 'assert-view-uuid') {
      throw badRequest(`Unknown view requirement type: ${String(isObject(requirement) ? requirement.type : requirement)}`);
    }
    if (typeof requirement.uuid !== 'string') throw badRequest('Invalid assert-view-uuid requirement: uuid must be a string');
    if (requirement.uuid !== base['view-uuid']) {
      throw commitFailed(`Requirement failed: view UUID does not match: expected ${base['view-uuid']} != ${requirement.uuid}`);
    }
  }
}

/** The starting point of a view that does not exist yet. */
function emptyView(uuid: string): ViewMetadata {
  return {
    'view-uuid': uuid,
    'format-version': VIEW_FORMAT_VERSION,
    location: '',
    'current-version-id': LAST_ADDED,
    versions: [],
    'version-log': [],
    schemas: [],
    properties: {},
  };
}

function sqlDialects(version: ViewVersion): Set<string> {
  const dialects = new Set<string>();
  for (const representation of version.representations) {
    if (representation.type.toLowerCase() === 'sql') dialects.add(String(representation.dialect).toLowerCase());
  }
  return dialects;
}

/** Same behaviour: the id, time and summary aside (Java compares summaries too; so do we). */
function sameViewVersion(a: ViewVersion, b: ViewVersion): boolean {
  const key = (v: ViewVersion) =>
    stringifyJson([v.summary, v.representations, v['default-catalog'] ?? null, v['default-namespace'], v['schema-id']]);
  return key(a) === key(b);
}

export class ViewMetadataBuilder {
  private readonly m: ViewMetadata;
  private readonly isNew: boolean;
  private readonly previousVersion?: ViewVersion;
  private readonly addedVersionIds = new Set<number>();
  private lastAddedSchemaId?: number;
  private lastAddedVersionId?: number;
  private historyEntry?: ViewHistoryEntry;
  private changed = false;

  constructor(
    base: ViewMetadata | undefined,
    private readonly now: number,
    private readonly checkLocation: LocationCheck,
    options: { uuid?: string } = {},
  ) {
    const from = base ?? emptyView(options.uuid ?? crypto.randomUUID());
    this.m = {
      ...from,
      versions: [...from.versions],
      'version-log': [...from['version-log']],
      schemas: [...from.schemas],
      properties: { ...from.properties },
    };
    this.isNew = base === undefined;
    this.previousVersion = base && currentViewVersion(base);
  }

  get hasChanges(): boolean {
    return this.changed;
  }

  applyAll(updates: unknown): this {
    if (!Array.isArray(updates)) throw badRequest('Invalid view commit: updates must be an array');
    for (const update of updates) this.apply(update as ViewUpdate);
    return this;
  }

  apply(update: ViewUpdate): this {
    if (!isObject(update) || typeof update.action !== 'string') throw badRequest('Invalid view update: missing action');
    switch (update.action) {
      case 'assign-uuid':
        return this.assignUuid(update.uuid);
      case 'upgrade-format-version':
        return this.upgradeFormatVersion(update['format-version']);
      case 'add-schema':
        this.addSchema(update.schema);
        return this;
      case 'set-location':
        return this.setLocation(update.location);
      case 'set-properties':
        this.changed = setProperties(this.m.properties, update.updates ?? update.updated) || this.changed;
        return this;
      case 'remove-properties':
        this.changed = removeProperties(this.m.properties, update.removals ?? update.removed) || this.changed;
        return this;
      case 'add-view-version':
        this.addVersion(update['view-version']);
        return this;
      case 'set-current-view-version':
        return this.setCurrentVersion(update['view-version-id']);
      default:
        throw badRequest(`Unknown view update action: ${update.action}`);
    }
  }

  private assignUuid(uuid: unknown): this {
    if (typeof uuid !== 'string' || uuid === '') throw badRequest('Invalid assign-uuid update: uuid must be a string');
    if (uuid === this.m['view-uuid']) return this;
    if (!this.isNew) throw illegalArgument(`Cannot reassign uuid: ${this.m['view-uuid']} to ${uuid}`);
    this.m['view-uuid'] = uuid;
    this.changed = true;
    return this;
  }

  private upgradeFormatVersion(version: unknown): this {
    if (!isInt(version)) throw badRequest('Invalid upgrade-format-version update: format-version must be an integer');
    if (version < this.m['format-version']) throw illegalArgument(`Cannot downgrade v${this.m['format-version']} view to v${version}`);
    if (version > VIEW_FORMAT_VERSION) {
      throw badRequest(`Cannot upgrade view to unsupported format version: v${version} (supported: v${VIEW_FORMAT_VERSION})`);
    }
    return this;
  }

  /** Returns the id the schema has in the view: an identical schema's, or the highest + 1. */
  addSchema(schema: unknown): number {
    if (!isObject(schema)) throw badRequest('Invalid add-schema update: schema must be an object');
    // A view's schema is what its query answers; any type a table of the newest format can hold.
    validateSchema(schema as unknown as Schema, MAX_FORMAT_VERSION);
    const existing = this.m.schemas.find((s) => sameSchemaStructure(s, schema as unknown as Schema));
    if (existing) {
      this.lastAddedSchemaId = existing['schema-id'];
      return existing['schema-id']!;
    }
    const id = this.m.schemas.reduce((max, s) => Math.max(max, s['schema-id'] ?? 0), -1) + 1;
    this.m.schemas.push({ ...(schema as unknown as Schema), type: 'struct', 'schema-id': id });
    this.lastAddedSchemaId = id;
    this.changed = true;
    return id;
  }

  /** Returns the id the version has in the view: an identical version's, or the highest + 1. */
  addVersion(input: unknown): number {
    let version = checkViewVersionShape(input);
    if (version['schema-id'] === LAST_ADDED) {
      if (this.lastAddedSchemaId === undefined) throw badRequest('Cannot set last added schema: no schema has been added');
      version = { ...version, 'schema-id': this.lastAddedSchemaId };
    }
    if (!this.m.schemas.some((s) => s['schema-id'] === version['schema-id'])) {
      throw illegalArgument(`Cannot add version with unknown schema: ${version['schema-id']}`);
    }
    const dialects = new Set<string>();
    for (const representation of version.representations) {
      if (representation.type.toLowerCase() !== 'sql') continue;
      const dialect = String(representation.dialect).toLowerCase();
      if (dialects.has(dialect)) throw illegalArgument(`Invalid view version: Cannot add multiple queries for dialect ${dialect}`);
      dialects.add(dialect);
    }
    const same = this.m.versions.find((v) => sameViewVersion(v, version));
    if (same) {
      // -1 then names the identical version (the reference implementation refuses it instead:
      // a client replacing a view with an earlier definition means that definition).
      this.lastAddedVersionId = same['version-id'];
      return same['version-id'];
    }
    const id = Math.max(version['version-id'], ...this.m.versions.map((v) => v['version-id'] + 1));
    this.m.versions.push({ ...version, 'version-id': id });
    this.addedVersionIds.add(id);
    this.lastAddedVersionId = id;
    this.changed = true;
    return id;
  }

  setCurrentVersion(requested: unknown): this {
    if (!isInt(requested)) throw badRequest('Invalid set-current-view-version update: view-version-id must be an integer');
    let id = requested;
    if (id === LAST_ADDED) {
      if (this.lastAddedVersionId === undefined) throw badRequest('Cannot set last added view version: no view version has been added');
      id = this.lastAddedVersionId;
    }
    if (id === this.m['current-version-id']) return this;
    const version = this.m.versions.find((v) => v['version-id'] === id);
    if (!version) throw illegalArgument(`Cannot set current version to unknown version: ${id}`);
    this.m['current-version-id'] = id;
    this.historyEntry = { 'version-id': id, 'timestamp-ms': this.addedVersionIds.has(id) ? version['timestamp-ms'] : this.now };
    this.changed = true;
    return this;
  }

  setLocation(location: unknown): this {
    if (typeof location !== 'string') throw badRequest('Invalid set-location update: location must be a string');
    const given = location.trim().replace(/\/+$/, '');
    if (given === this.m.location) return this;
    this.checkLocation(given);
    this.m.location = given;
    this.changed = true;
    return this;
  }

  build(): ViewMetadata {
    const m = this.m;
    if (m.location === '') throw badRequest('Invalid view metadata: location is not set');
    if (m.versions.length === 0) throw badRequest('Invalid view: no versions were added');
    const current = m.versions.find((v) => v['version-id'] === m['current-version-id']);
    if (!current) throw badRequest('Invalid view: no current version was set');
    if (this.historyEntry) m['version-log'].push(this.historyEntry);
    if (this.previousVersion && m.properties[DROP_DIALECT_PROPERTY]?.toLowerCase() !== 'true') {
      const before = sqlDialects(this.previousVersion);
      const after = sqlDialects(current);
      if ([...before].some((d) => !after.has(d))) {
        throw badRequest(
          `Cannot replace view due to loss of view dialects (${DROP_DIALECT_PROPERTY}=false): ` +
            `previous dialects: ${[...before].join(', ')}; new dialects: ${[...after].join(', ')}`,
        );
      }
    }
    this.expireVersions(current);
    return m;
  }

  /** Keeps the newest versions (ids are sequential), the current one and those added now. */
  private expireVersions(current: ViewVersion): void {
    const m = this.m;
    const raw = m.properties[HISTORY_SIZE_PROPERTY];
    const size = raw === undefined ? HISTORY_SIZE_DEFAULT : Number(raw);
    if (!Number.isInteger(size) || size <= 0) throw badRequest(`${HISTORY_SIZE_PROPERTY} must be a positive integer, not ${raw}`);
    const keep = Math.max(size, new Set([...this.addedVersionIds, current['version-id']]).size);
    if (m.versions.length <= keep) return;
    const kept = new Set([current['version-id']]);
    for (const id of m.versions.map((v) => v['version-id']).sort((a, b) => b - a)) {
      if (kept.size >= keep) break;
      kept.add(id);
    }
    m.versions = m.versions.filter((v) => kept.has(v['version-id']));
    // The log stays a history of kept versions: everything before a forgotten one goes.
    const log: ViewHistoryEntry[] = [];
    for (const entry of m['version-log']) {
      if (kept.has(entry['version-id'])) log.push(entry);
      else log.length = 0;
    }
    m['version-log'] = log;
  }
}

export interface CreateViewInput {
  name: string;
  location?: string;
  schema: unknown;
  'view-version': unknown;
  properties?: Record<string, string>;
}

/**
 * A new view from a CreateViewRequest: the schema gets id 0 and the version id 1, and the
 * version's schema-id is replaced by the schema's (spec: CreateViewRequest.view-version).
 */
export function newViewMetadata(
  request: CreateViewInput,
  options: { uuid: string; now: number; location: string; checkLocation: LocationCheck },
): ViewMetadata {
  const builder = new ViewMetadataBuilder(undefined, options.now, options.checkLocation, { uuid: options.uuid });
  builder.setLocation(options.location);
  builder.apply({ action: 'set-properties', updates: request.properties ?? {} });
  const schemaId = builder.addSchema(request.schema);
  const version = checkViewVersionShape(request['view-version']);
  builder.setCurrentVersion(builder.addVersion({ ...version, 'version-id': 1, 'schema-id': schemaId }));
  return builder.build();
}

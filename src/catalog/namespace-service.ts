// Namespace use cases (spec: the namespace routes).
import type { Db } from '../db/database.js';
import {
  deleteNamespace,
  findNamespace,
  insertNamespace,
  listChildNamespaces,
  lockNamespace,
  namespaceHasChildren,
  updateNamespaceProperties,
  type Namespace,
} from '../db/namespace-repository.js';
import { isUniqueViolation } from '../db/postgres-errors.js';
import type { Warehouse } from '../db/warehouse-repository.js';
import { alreadyExists, badRequest, namespaceNotEmpty, noSuchNamespace, unprocessable } from '../iceberg/errors.js';
import { MAX_NAME_LENGTH, MAX_NAMESPACE_BYTES, MAX_NAMESPACE_DEPTH, requireValidName } from './name-limits.js';
import { namespaceName } from './identifiers.js';
import { LOCATION_PROPERTY, answeredProperties, checkNamespaceLocation } from './namespace-locations.js';
import { decodePageToken, encodePageToken, pageWindow, type PageRequest } from './pagination.js';

const isLevels = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** The rules for a namespace that is about to be created (lookups accept any name, so old ones stay reachable). */
export function validateLevels(levels: unknown): string[] {
  if (!isLevels(levels) || levels.length === 0) throw badRequest('Invalid namespace: expected a non-empty list of names');
  if (levels.length > MAX_NAMESPACE_DEPTH) {
    throw badRequest(`Invalid namespace: ${levels.length} levels (at most ${MAX_NAMESPACE_DEPTH})`);
  }
  for (const level of levels) {
    if (level.includes('\x1f')) throw badRequest(`Invalid namespace level: ${JSON.stringify(level.slice(0, 100))} contains the separator U+001F`);
    requireValidName(level, 'namespace level');
  }
  const bytes = Buffer.byteLength(levels.join('\x1f'), 'utf8');
  if (bytes > MAX_NAMESPACE_BYTES) {
    throw badRequest(`Invalid namespace: ${bytes} bytes of UTF-8 (at most ${MAX_NAMESPACE_BYTES}, levels of at most ${MAX_NAME_LENGTH} characters)`);
  }
  return levels;
}

export class NamespaceService {
  constructor(private readonly db: Db) {}

  async require(warehouse: Warehouse, levels: string[]): Promise<Namespace> {
    const namespace = await findNamespace(this.db, warehouse.id, levels);
    if (!namespace) throw noSuchNamespace(namespaceName(levels));
    return namespace;
  }

  /** One page of the child namespaces of `parent`, of those in `visible` ('all': no filter). */
  async list(warehouse: Warehouse, parent: string[] | undefined, page: PageRequest, visible: 'all' | ReadonlySet<string> = 'all') {
    const parentNamespace = parent && parent.length > 0 ? await this.require(warehouse, parent) : undefined;
    const window = pageWindow(page);
    const after = page.pageToken ? decodePageToken(page.pageToken, isLevels) : undefined;
    const rows = await listChildNamespaces(this.db, warehouse.id, parentNamespace?.id ?? null, {
      after,
      limit: window.limit && window.limit + 1,
      only: visible === 'all' ? undefined : [...visible],
    });
    const more = window.limit !== undefined && rows.length > window.limit;
    const namespaces = (more ? rows.slice(0, window.limit) : rows).map((n) => n.levels);
    return {
      namespaces,
      nextPageToken: window.paged ? (more ? encodePageToken(namespaces[namespaces.length - 1]) : null) : undefined,
    };
  }

  async create(warehouse: Warehouse, levels: string[], properties: Record<string, string>, owner: string | null = null): Promise<Namespace> {
    validateLevels(levels);
    for (const [key, value] of Object.entries(properties)) {
      if (typeof value !== 'string') throw badRequest(`Invalid namespace property ${key}: values must be strings`);
    }
    // A nested namespace lives inside its parent, which must exist first.
    const parent = levels.length > 1 ? await this.require(warehouse, levels.slice(0, -1)) : undefined;
    const namespace: Namespace = { id: crypto.randomUUID(), warehouseId: warehouse.id, parentId: parent?.id ?? null, levels, properties, owner };
    try {
      await this.db.transaction().execute(async (tx) => {
        if (Object.hasOwn(properties, LOCATION_PROPERTY)) {
          const location = await checkNamespaceLocation(tx, warehouse, levels, properties[LOCATION_PROPERTY]);
          namespace.properties = { ...properties, [LOCATION_PROPERTY]: location };
        }
        await insertNamespace(tx, namespace);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw alreadyExists(`Namespace already exists: ${namespaceName(levels)}`);
      throw error;
    }
    return namespace;
  }

  /** The properties to answer: every namespace has a `location` (namespace-locations.ts). */
  answeredProperties(warehouse: Warehouse, namespace: Namespace): Record<string, string> {
    return answeredProperties(warehouse, namespace);
  }

  async drop(warehouse: Warehouse, levels: string[]): Promise<void> {
    const namespace = await this.require(warehouse, levels);
    await this.db.transaction().execute(async (tx) => {
      if (!(await lockNamespace(tx, namespace.id))) throw noSuchNamespace(namespaceName(levels));
      const children = await namespaceHasChildren(tx, namespace.id);
      if (children.tables || children.namespaces) throw namespaceNotEmpty(namespaceName(levels));
      await deleteNamespace(tx, namespace.id);
    });
  }

  async updateProperties(warehouse: Warehouse, levels: string[], removals: string[], updates: Record<string, string>) {
    const overlap = removals.filter((key) => key in updates);
    if (overlap.length > 0) throw unprocessable(`Properties both updated and removed: ${overlap.join(', ')}`);
    const namespace = await this.require(warehouse, levels);
    return this.db.transaction().execute(async (tx) => {
      const current = await lockNamespace(tx, namespace.id);
      if (!current) throw noSuchNamespace(namespaceName(levels));
      if (Object.hasOwn(updates, LOCATION_PROPERTY)) {
        updates = { ...updates, [LOCATION_PROPERTY]: await checkNamespaceLocation(tx, warehouse, current.levels, updates[LOCATION_PROPERTY]) };
      }
      // Removing `location` returns the namespace to its default location; it is reported
      // removed only when it was set (the default is not a stored property).
      const properties = { ...current.properties };
      const removed: string[] = [];
      const missing: string[] = [];
      for (const key of removals) {
        if (key in properties) {
          delete properties[key];
          removed.push(key);
        } else missing.push(key);
      }
      Object.assign(properties, updates);
      await updateNamespaceProperties(tx, namespace.id, properties);
      return { updated: Object.keys(updates), removed, missing };
    });
  }
}

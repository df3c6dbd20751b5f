// What goes into an audit event for a request: which operation of openapi/catalog.yaml it was
// (from its route), whether it is audited at all (mutations and denials are; reads that were
// allowed are not), and the few names and choices of its body worth keeping. Pure.
import type { OpenApiDocument } from '../http/openapi-document.js';

/** Route template (Fastify's "/v1/:prefix/...") and method -> operation id of the document. */
export function operationIndex(document: Pick<OpenApiDocument, 'paths'>): Map<string, string> {
  const index = new Map<string, string>();
  for (const [path, item] of Object.entries(document.paths)) {
    const route = path.replace(/\{([^}]+)\}/g, ':$1');
    for (const [method, operation] of Object.entries(item)) {
      const id = (operation as { operationId?: string }).operationId;
      if (id) index.set(`${method.toUpperCase()} ${route}`, id);
    }
  }
  return index;
}

/** POSTs that change nothing: a metrics report is logged, not stored; a signature is one per S3 request of an engine. */
const NOT_MUTATIONS = new Set(['reportMetrics', 'signRequest']);

/** Whether a request is audited: every mutation (allowed or not) and every denied request. */
export function isAudited(method: string, action: string | undefined, denied: boolean): boolean {
  if (denied) return true;
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return false;
  return action === undefined || !NOT_MUTATIONS.has(action);
}

type Body = Record<string, unknown> | undefined;
type Query = Record<string, unknown>;

const pick = (body: Body, keys: readonly string[]) => {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (body?.[key] !== undefined) out[key] = body[key];
  return out;
};

const CLONE_CHOICES = ['destination', 'point', 'timestamp-ms', 'history', 'copy-refs', 'copy-grants', 'ttl-seconds', 'expires-at', 'location', 'view-default-namespace'];

/**
 * The detail kept for each operation: identifiers and choices, never a schema, metadata,
 * properties' values or a secret. Operations not listed keep none (their object says it).
 */
const DETAIL: Record<string, (body: Body, query: Query) => Record<string, unknown> | null> = {
  renameTable: (b) => pick(b, ['source', 'destination']),
  renameView: (b) => pick(b, ['source', 'destination']),
  dropTable: (_b, q) => ({ purge: q.purgeRequested === 'true' }),
  cloneTable: (b) => pick(b, CLONE_CHOICES),
  cloneView: (b) => pick(b, CLONE_CHOICES),
  cloneNamespace: (b) => pick(b, CLONE_CHOICES),
  cloneWarehouse: (b) => pick(b, CLONE_CHOICES),
  swapTables: (b) => pick(b, ['pairs']),
  promoteClone: (b) => pick(b, ['clone', 'target', 'force']),
  restoreDroppedTable: (b) => pick(b, ['destination']),
  setTableExpiry: (b) => pick(b, ['ttl-seconds', 'expires-at']),
  expireSnapshots: (b) => pick(b, ['dry-run']),
  tagNamespace: (b) => pick(b, ['name', 'timestamp-ms']),
  updateGcSettings: (b) => pick(b, ['drop-retention-ms']),
  startGcRun: (b) => pick(b, ['dry-run', 'orphans']),
  changeGrants: (b, q) => ({ ...pick(b, ['action', 'grantee', 'privileges']), on: pick(q, ['namespace', 'table', 'view']) }),
  createRole: (b) => pick(b, ['name']),
  changeRoleMembers: (b) => pick(b, ['add', 'remove']),
  registerClient: (b) => pick(b, ['client-id', 'principal']),
  createNamespace: (b) => pick(b, ['namespace']),
  createTable: (b) => ({ ...pick(b, ['name', 'location']), staged: b?.['stage-create'] === true }),
  createView: (b) => pick(b, ['name']),
  registerTable: (b) => pick(b, ['name', 'metadata-location', 'overwrite']),
  registerView: (b) => pick(b, ['name', 'metadata-location']),
  updateTable: (b) => ({ updates: actionsOf(b?.updates) }),
  replaceView: (b) => ({ updates: actionsOf(b?.updates) }),
  updateProperties: (b) => ({ removals: b?.removals, updated: Object.keys((b?.updates as object) ?? {}) }),
  commitTransaction: (b) => ({
    tables: Array.isArray(b?.['table-changes']) ? (b['table-changes'] as { identifier?: unknown }[]).slice(0, 100).map((c) => c?.identifier) : undefined,
  }),
};

/** The kinds of update a commit made ("add-snapshot", "set-properties"...), each once. */
function actionsOf(updates: unknown): string[] | undefined {
  if (!Array.isArray(updates)) return undefined;
  return [...new Set(updates.map((u) => (u as { action?: unknown })?.action).filter((a): a is string => typeof a === 'string'))].slice(0, 50);
}

export function detailOf(action: string | undefined, body: unknown, query: unknown): Record<string, unknown> | null {
  const extract = action === undefined ? undefined : DETAIL[action];
  if (!extract) return null;
  const asObject = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  try {
    return extract(asObject, (query ?? {}) as Query);
  } catch {
    return null;
  }
}

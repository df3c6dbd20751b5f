// The authorization matrix's cast and requests. Principals of two teams and a group member,
// each with a model of what it holds (from the grants the test makes), and for every operation
// of openapi/catalog.yaml one request on team A's objects. The expected answer of each request
// for each principal comes from the privilege table (src/authz/operation-rules.ts) applied to
// that model, never from a hand-written list.
import { OPERATION_RULES, type On } from '../../src/authz/operation-rules.js';
import { PRIVILEGES, type Privilege } from '../../src/authz/privileges.js';

export const TEAM_A = 'team_a';
export const TEAM_B = 'team_b';

export interface Cast {
  name: string;
  groups?: string[];
  /** What it holds on team A's namespace and everything in it. */
  onTeamA: Privilege[] | 'all';
  /** What it holds on the warehouse itself. */
  onWarehouse: Privilege[] | 'all';
  admin?: boolean;
}

export const CAST: Cast[] = [
  { name: 'admin', onTeamA: 'all', onWarehouse: 'all', admin: true },
  { name: 'a-owner', onTeamA: 'all', onWarehouse: ['create'] },
  { name: 'a-writer', onTeamA: ['write', 'read'], onWarehouse: [] },
  { name: 'a-reader', onTeamA: ['read'], onWarehouse: [] },
  { name: 'g-member', groups: ['team-a-analysts'], onTeamA: ['read', 'clone'], onWarehouse: [] },
  { name: 'b-owner', onTeamA: [], onWarehouse: ['create'] },
  { name: 'stranger', onTeamA: [], onWarehouse: [] },
];

/** Objects made for one request, so destructive operations never meet each other's leftovers. */
export interface Fixture {
  table: string;
  table2: string;
  view: string;
  /** An empty namespace below team A's (levels). */
  child: string[];
  /** A table of team A dropped just before, restorable. */
  droppedId: string;
  /** A clone in team A, with team A's `table` as source. */
  clone: string;
  /** A root under which the catalog may create a new warehouse. */
  allowedRoot: string;
}

export interface Call {
  method: string;
  path: string;
  body?: unknown;
  form?: Record<string, string>;
}

export type Outcome = { allowed: true } | { allowed: false; status: 403 | 404 };

const held = (who: Cast, on: 'teamA' | 'warehouse'): Set<Privilege> => {
  const value = on === 'teamA' ? who.onTeamA : who.onWarehouse;
  return new Set(value === 'all' ? PRIVILEGES : value);
};

/** Visible: holds something on it, or (warehouse) something anywhere in it. */
const sees = (who: Cast, on: 'teamA' | 'warehouse') => {
  if (who.admin) return true;
  if (on === 'warehouse') return held(who, 'warehouse').size > 0 || held(who, 'teamA').size > 0;
  return held(who, 'teamA').size > 0;
};

/**
 * Where each rule of an operation acts in these calls: on the warehouse, or on team A's
 * namespace and what is in it. Namespaces are created and listed below team A's; a namespace
 * clone goes to the top level, beside its source (it cannot go below it).
 */
function scope(operation: string, on: On): 'teamA' | 'warehouse' {
  if (on === 'warehouse') return 'warehouse';
  if (on === 'destination' && operation === 'cloneNamespace') return 'warehouse';
  return 'teamA';
}

/**
 * What `who` must be answered for `operation` on team A's objects (whose destination is team
 * A's namespace too), by the privilege table: the first rule that does not hold decides.
 */
export function expected(operation: string, who: Cast): Outcome {
  for (const { need, on, when } of OPERATION_RULES[operation]) {
    // The matrix's calls stay in their namespace and overwrite nothing: conditional rules are
    // authorization-moves.test.ts's.
    if (need === 'any' || when) continue;
    if (need === 'admin') {
      if (!who.admin) return { allowed: false, status: 403 };
      continue;
    }
    const where = scope(operation, on);
    const privileges = who.admin ? new Set(PRIVILEGES) : held(who, where);
    if (!sees(who, where)) return { allowed: false, status: 404 };
    if (need === 'see') continue;
    // A dropped table is shown only to who may restore it (docs/security.md).
    if (operation === 'restoreDroppedTable' && !privileges.has(need)) return { allowed: false, status: 404 };
    if (!privileges.has(need)) return { allowed: false, status: 403 };
  }
  return { allowed: true };
}

const ns = encodeURIComponent(TEAM_A);
const wh = '/v1/default';
const ext = '/ext/v1/default';
const nsOf = (levels: string[]) => encodeURIComponent(levels.join('\x1f'));
const schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: false, type: 'long' }] };
const viewVersion = () => ({
  'version-id': 1,
  'timestamp-ms': Date.now(),
  'schema-id': 0,
  summary: {},
  representations: [{ type: 'sql', sql: 'select 1 as id', dialect: 'spark' }],
  'default-namespace': [TEAM_A],
});
const id = (name: string) => ({ namespace: [TEAM_A], name });
const unique = () => `x${Math.random().toString(36).slice(2, 10)}`;

/** One request per operation, on team A's objects. */
export const CALLS: Record<string, (f: Fixture) => Call> = {
  getConfig: () => ({ method: 'GET', path: '/v1/config' }),
  getToken: () => ({ method: 'POST', path: '/v1/oauth/tokens', form: { grant_type: 'client_credentials', client_id: 'x', client_secret: 'y' } }),
  listNamespaces: () => ({ method: 'GET', path: `${wh}/namespaces?parent=${ns}` }),
  createNamespace: () => ({ method: 'POST', path: `${wh}/namespaces`, body: { namespace: [TEAM_A, unique()] } }),
  loadNamespaceMetadata: () => ({ method: 'GET', path: `${wh}/namespaces/${ns}` }),
  namespaceExists: () => ({ method: 'HEAD', path: `${wh}/namespaces/${ns}` }),
  dropNamespace: (f) => ({ method: 'DELETE', path: `${wh}/namespaces/${nsOf(f.child)}` }),
  updateProperties: () => ({ method: 'POST', path: `${wh}/namespaces/${ns}/properties`, body: { updates: { k: unique() } } }),
  listTables: () => ({ method: 'GET', path: `${wh}/namespaces/${ns}/tables` }),
  createTable: () => ({ method: 'POST', path: `${wh}/namespaces/${ns}/tables`, body: { name: unique(), schema } }),
  registerTable: (f) => ({ method: 'POST', path: `${wh}/namespaces/${ns}/register`, body: { name: unique(), 'metadata-location': `@metadata:${f.table}` } }),
  loadTable: (f) => ({ method: 'GET', path: `${wh}/namespaces/${ns}/tables/${f.table}` }),
  loadCredentials: (f) => ({ method: 'GET', path: `${wh}/namespaces/${ns}/tables/${f.table}/credentials` }),
  signRequest: (f) => ({ method: 'POST', path: `${wh}/namespaces/${ns}/tables/${f.table}/sign`, body: { region: 'us-east-1', uri: 'https://lake.s3.amazonaws.com/t/x', method: 'GET', headers: {} } }),
  tableExists: (f) => ({ method: 'HEAD', path: `${wh}/namespaces/${ns}/tables/${f.table}` }),
  updateTable: (f) => ({ method: 'POST', path: `${wh}/namespaces/${ns}/tables/${f.table}`, body: { requirements: [], updates: [{ action: 'set-properties', updates: { k: 'v' } }] } }),
  dropTable: (f) => ({ method: 'DELETE', path: `${wh}/namespaces/${ns}/tables/${f.table}` }),
  renameTable: (f) => ({ method: 'POST', path: `${wh}/tables/rename`, body: { source: id(f.table), destination: id(unique()) } }),
  reportMetrics: (f) => ({
    method: 'POST',
    path: `${wh}/namespaces/${ns}/tables/${f.table}/metrics`,
    body: { 'report-type': 'commit-report', 'table-name': f.table, 'snapshot-id': 1, 'sequence-number': 1, operation: 'append', metrics: {} },
  }),
  commitTransaction: (f) => ({
    method: 'POST',
    path: `${wh}/transactions/commit`,
    body: { 'table-changes': [{ identifier: id(f.table), requirements: [], updates: [{ action: 'set-properties', updates: { k: 'v' } }] }] },
  }),
  listViews: () => ({ method: 'GET', path: `${wh}/namespaces/${ns}/views` }),
  createView: () => ({ method: 'POST', path: `${wh}/namespaces/${ns}/views`, body: { name: unique(), schema, 'view-version': viewVersion() } }),
  registerView: (f) => ({ method: 'POST', path: `${wh}/namespaces/${ns}/register-view`, body: { name: unique(), 'metadata-location': `@view-metadata:${f.view}` } }),
  loadView: (f) => ({ method: 'GET', path: `${wh}/namespaces/${ns}/views/${f.view}` }),
  viewExists: (f) => ({ method: 'HEAD', path: `${wh}/namespaces/${ns}/views/${f.view}` }),
  replaceView: (f) => ({ method: 'POST', path: `${wh}/namespaces/${ns}/views/${f.view}`, body: { updates: [{ action: 'set-properties', updates: { k: 'v' } }] } }),
  dropView: (f) => ({ method: 'DELETE', path: `${wh}/namespaces/${ns}/views/${f.view}` }),
  renameView: (f) => ({ method: 'POST', path: `${wh}/views/rename`, body: { source: id(f.view), destination: id(unique()) } }),
  cloneTable: (f) => ({ method: 'POST', path: `${ext}/namespaces/${ns}/tables/${f.table}/clone`, body: { destination: id(unique()) } }),
  cloneView: (f) => ({ method: 'POST', path: `${ext}/namespaces/${ns}/views/${f.view}/clone`, body: { destination: id(unique()) } }),
  cloneNamespace: () => ({ method: 'POST', path: `${ext}/namespaces/${ns}/clone`, body: { destination: [`${TEAM_A}_${unique()}`] } }),
  cloneWarehouse: (f) => {
    const name = unique();
    return { method: 'POST', path: `${ext}/clone`, body: { destination: { name, location: `${f.allowedRoot}/${name}` } } };
  },
  listClones: () => ({ method: 'GET', path: `${ext}/clones` }),
  tableLineage: (f) => ({ method: 'GET', path: `${ext}/namespaces/${ns}/tables/${f.table}/lineage` }),
  viewLineage: (f) => ({ method: 'GET', path: `${ext}/namespaces/${ns}/views/${f.view}/lineage` }),
  setTableExpiry: (f) => ({ method: 'PUT', path: `${ext}/namespaces/${ns}/tables/${f.table}/expiry`, body: { 'ttl-seconds': 3600 } }),
  swapTables: (f) => ({ method: 'POST', path: `${ext}/tables/swap`, body: { pairs: [{ first: id(f.table), second: id(f.table2) }] } }),
  promoteClone: (f) => ({ method: 'POST', path: `${ext}/tables/promote`, body: { clone: id(f.clone), target: id(f.table), force: true } }),
  tagNamespace: () => ({ method: 'POST', path: `${ext}/namespaces/${ns}/tags`, body: { name: unique() } }),
  namespaceAsOf: () => ({ method: 'GET', path: `${ext}/namespaces/${ns}/as-of?timestamp-ms=${Date.now()}` }),
  expireSnapshots: (f) => ({ method: 'POST', path: `${ext}/namespaces/${ns}/tables/${f.table}/expire-snapshots`, body: { 'dry-run': true } }),
  listDroppedTables: () => ({ method: 'GET', path: `${ext}/dropped-tables` }),
  restoreDroppedTable: (f) => ({ method: 'POST', path: `${ext}/dropped-tables/${f.droppedId}/restore`, body: { destination: id(unique()) } }),
  updateGcSettings: () => ({ method: 'POST', path: `${ext}/gc-settings`, body: { 'drop-retention-ms': 604800000 } }),
  warehouseStorage: () => ({ method: 'GET', path: `${ext}/storage` }),
  tableStorage: (f) => ({ method: 'GET', path: `${ext}/namespaces/${ns}/tables/${f.table}/storage` }),
  startGcRun: () => ({ method: 'POST', path: '/ext/v1/gc/runs', body: { 'dry-run': true } }),
  listGcRuns: () => ({ method: 'GET', path: '/ext/v1/gc/runs' }),
  getGcRun: () => ({ method: 'GET', path: `/ext/v1/gc/runs/${crypto.randomUUID()}` }),
  listGcRunFiles: () => ({ method: 'GET', path: `/ext/v1/gc/runs/${crypto.randomUUID()}/files` }),
  whoAmI: () => ({ method: 'GET', path: '/ext/v1/auth/whoami' }),
  listClients: () => ({ method: 'GET', path: '/ext/v1/auth/clients' }),
  registerClient: () => ({ method: 'POST', path: '/ext/v1/auth/clients', body: {} }),
  disableClient: () => ({ method: 'DELETE', path: '/ext/v1/auth/clients/nobody' }),
  listRoles: () => ({ method: 'GET', path: '/ext/v1/auth/roles' }),
  createRole: () => ({ method: 'POST', path: '/ext/v1/auth/roles', body: { name: unique() } }),
  deleteRole: () => ({ method: 'DELETE', path: `/ext/v1/auth/roles/${unique()}` }),
  changeRoleMembers: () => ({ method: 'POST', path: `/ext/v1/auth/roles/${unique()}/members`, body: { add: [] } }),
  listGrants: () => ({ method: 'GET', path: `${ext}/grants?namespace=${ns}` }),
  changeGrants: (f) => ({
    method: 'POST',
    path: `${ext}/grants?namespace=${ns}&table=${f.table}`,
    body: { action: 'grant', grantee: { kind: 'principal', name: 'someone' }, privileges: ['read'] },
  }),
  privilegesOf: () => ({ method: 'GET', path: `${ext}/privileges?namespace=${ns}` }),
  listAuditEvents: () => ({ method: 'GET', path: `/ext/v1/audit?warehouse=default&namespace=${ns}` }),
  whoMayRead: (f) => ({ method: 'GET', path: `${ext}/readers?namespace=${ns}&table=${f.table}` }),
};

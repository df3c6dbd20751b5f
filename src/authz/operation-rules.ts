// The privilege table: what each operation of openapi/catalog.yaml needs, on what. Routes
// enforce it (src/http/access-checks.ts, called in each route); docs/security.md prints it; the
// authorization matrix test derives from it what every principal must be answered. A test
// fails when an operation of the document has no entry here.
import type { Privilege } from './privileges.js';

/** `see`: visible at all; `admin`: administrators only; `any`: any authenticated principal. */
export type Need = Privilege | 'see' | 'admin' | 'any';

/**
 * What a rule is checked on: the object the path names (`table`, `view`, `namespace`), the
 * parent of a namespace created or listed (`parent`: the warehouse at the top level), the body's `source` or
 * `destination` of a rename or clone, both tables of a swap or promote, or the warehouse.
 */
export type On = 'warehouse' | 'namespace' | 'parent' | 'parent-namespace' | 'table' | 'view' | 'source' | 'destination' | 'both' | 'dropped-from' | 'securable' | 'catalog';

export interface Rule {
  need: Need;
  on: On;
  /** Another way to be allowed (as the table prints it): a collection run of one warehouse. */
  instead?: string;
  /**
   * Only in this case (as the table prints it): a move that puts an object under other owners
   * and grants needs more than the same operation in place.
   */
  when?: string;
}

const r = (need: Need, on: On, when?: string): Rule => (when ? { need, on, when } : { need, on });
const ACROSS = 'when it moves it to another namespace';
/** Collection runs: every warehouse's for administrators; one warehouse's for who manages its collector too. */
const adminOrManageGc = (what: string): Rule => ({ need: 'admin', on: 'catalog', instead: `\`manage-gc\` on the warehouse, ${what}` });

export const OPERATION_RULES: Record<string, readonly Rule[]> = {
  getConfig: [r('any', 'warehouse')],
  getToken: [r('any', 'catalog')],
  listNamespaces: [r('see', 'parent-namespace')],
  createNamespace: [r('create', 'parent')],
  loadNamespaceMetadata: [r('see', 'namespace')],
  namespaceExists: [r('see', 'namespace')],
  dropNamespace: [r('drop', 'namespace')],
  updateProperties: [r('write', 'namespace')],
  listTables: [r('see', 'namespace')],
  createTable: [r('create', 'namespace')],
  registerTable: [r('create', 'namespace'), r('write', 'table', 'when it overwrites an existing table')],
  loadTable: [r('read', 'table')],
  loadCredentials: [r('read', 'table')],
  signRequest: [r('read', 'table'), r('write', 'table', 'when it signs an upload')],
  tableExists: [r('see', 'table')],
  updateTable: [r('write', 'table')],
  dropTable: [r('drop', 'table')],
  renameTable: [r('drop', 'source'), r('create', 'destination'), r('manage-grants', 'source', ACROSS)],
  reportMetrics: [r('read', 'table')],
  commitTransaction: [r('write', 'table')],
  listViews: [r('see', 'namespace')],
  createView: [r('create', 'namespace')],
  registerView: [r('create', 'namespace')],
  loadView: [r('read', 'view')],
  viewExists: [r('see', 'view')],
  replaceView: [r('write', 'view')],
  dropView: [r('drop', 'view')],
  renameView: [r('drop', 'source'), r('create', 'destination'), r('manage-grants', 'source', ACROSS)],
  cloneTable: [r('read', 'source'), r('clone', 'source'), r('create', 'destination')],
  cloneView: [r('read', 'source'), r('clone', 'source'), r('create', 'destination')],
  cloneNamespace: [r('read', 'source'), r('clone', 'source'), r('create', 'destination')],
  cloneWarehouse: [r('admin', 'catalog')],
  listClones: [r('see', 'warehouse')],
  tableLineage: [r('read', 'table')],
  viewLineage: [r('read', 'view')],
  setTableExpiry: [r('drop', 'table')],
  swapTables: [r('promote', 'both'), r('manage-grants', 'both', 'when they are in different namespaces')],
  promoteClone: [r('promote', 'both')],
  tagNamespace: [r('write', 'namespace')],
  namespaceAsOf: [r('read', 'namespace')],
  expireSnapshots: [r('write', 'table')],
  listDroppedTables: [r('any', 'warehouse')],
  // Seeing the dropped table at all: its owner, or `restore` where it was dropped from.
  restoreDroppedTable: [r('restore', 'destination'), r('manage-grants', 'dropped-from', 'when restored into another namespace, unless the caller owns it')],
  updateGcSettings: [r('manage-gc', 'warehouse')],
  warehouseStorage: [r('manage-gc', 'warehouse')],
  tableStorage: [r('read', 'table')],
  startGcRun: [adminOrManageGc('for a run of that warehouse only (`warehouse` in the body)')],
  listGcRuns: [adminOrManageGc("to list that warehouse's runs")],
  getGcRun: [adminOrManageGc('for a run of that warehouse')],
  listGcRunFiles: [adminOrManageGc('for a run of that warehouse')],
  whoAmI: [r('any', 'catalog')],
  listClients: [r('admin', 'catalog')],
  registerClient: [r('admin', 'catalog')],
  disableClient: [r('admin', 'catalog')],
  listRoles: [r('admin', 'catalog')],
  createRole: [r('admin', 'catalog')],
  deleteRole: [r('admin', 'catalog')],
  changeRoleMembers: [r('admin', 'catalog')],
  listGrants: [r('manage-grants', 'securable')],
  changeGrants: [r('manage-grants', 'securable')],
  privilegesOf: [r('see', 'securable')],
  whoMayRead: [r('manage-grants', 'securable')],
  // Administrators read the whole log; naming an object, who manages grants on it.
  listAuditEvents: [r('manage-grants', 'securable')],
};

/** Listings show only what the caller may see (docs/security.md). */
export const FILTERED_LISTINGS = ['listNamespaces', 'listTables', 'listViews', 'listClones', 'listDroppedTables', 'tableLineage', 'viewLineage'] as const;

const ON_TEXT: Record<On, string> = {
  warehouse: 'the warehouse',
  namespace: 'the namespace',
  parent: 'the parent namespace (the warehouse at the top level)',
  'parent-namespace': 'the parent namespace (at the top level, any principal: an engine that connects before it is granted anything sees an empty catalog)',
  table: 'the table',
  view: 'the view',
  source: 'the source',
  destination: 'the destination namespace',
  both: 'both tables',
  'dropped-from': 'the namespace it was dropped from',
  securable: 'the warehouse, namespace, table or view named',
  catalog: '',
};

/** The table as docs/security.md prints it (a unit test keeps the two equal). */
export function privilegeTableMarkdown(): string {
  const rows = Object.entries(OPERATION_RULES).map(([operation, rules]) => {
    const needs = rules
      .map(({ need, on, when, instead }) => {
        const text = need === 'admin' ? (instead ? `administrators, or ${instead}` : 'administrators only') : need === 'any' ? 'any principal' : `\`${need}\` on ${ON_TEXT[on]}`;
        return when ? `${text} ${when}` : text;
      })
      .join(', and ');
    const filtered = (FILTERED_LISTINGS as readonly string[]).includes(operation) ? ' (lists only what the caller can see)' : '';
    return `| \`${operation}\` | ${needs}${filtered} |`;
  });
  return ['| operation | needs |', '| --- | --- |', ...rows].join('\n');
}

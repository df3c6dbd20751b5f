// Configuration: one schema, read from the environment once at start, validated, frozen and
// passed down. A bad value stops the start with a message naming the variable. The same
// table generates the README's configuration section (see docs), so defaults live in one place.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { canonicalObjectUri } from './gc/object-uri.js';
import { fileUri, fileUriToPath } from './storage/filesystem-store.js';
import { isCronExpression } from './scheduler/cron-job.js';

type Kind = 'string' | 'int' | 'bool' | 'url' | 'enum' | 'cron';

interface Setting {
  env: string;
  kind: Kind;
  default?: string;
  values?: readonly string[];
  doc: string;
}

export const SETTINGS = {
  host: {
    env: 'CATALOG_HOST',
    kind: 'string',
    default: '127.0.0.1',
    doc: 'Address the HTTP server listens on; 0.0.0.0 for all interfaces (containers). The API has no authentication yet.',
  },
  port: { env: 'CATALOG_PORT', kind: 'int', default: '8181', doc: 'Port of the Iceberg REST API.' },
  dataDir: {
    env: 'CATALOG_DATA_DIR',
    kind: 'string',
    default: './data',
    doc: 'Folder for the embedded database and the default local warehouse (used when no database URL is set).',
  },
  databaseUrl: {
    env: 'CATALOG_DATABASE_URL',
    kind: 'url',
    doc: 'Postgres connection URL. Unset: an embedded PGlite database in CATALOG_DATA_DIR/catalog-db.',
  },
  databasePoolSize: {
    env: 'CATALOG_DATABASE_POOL_SIZE',
    kind: 'int',
    default: '10',
    doc: "Postgres connections per replica; the replica leading a collection holds one of them for the run. Replicas × this must stay below the server's max_connections.",
  },
  databaseStatementTimeoutMs: {
    env: 'CATALOG_DATABASE_STATEMENT_TIMEOUT_MS',
    kind: 'int',
    default: '30000',
    doc: 'Postgres statement timeout.',
  },
  databaseConnectTimeoutMs: {
    env: 'CATALOG_DATABASE_CONNECT_TIMEOUT_MS',
    kind: 'int',
    default: '5000',
    doc: 'How long to wait for a Postgres connection before answering 503.',
  },
  migrateOnStart: { env: 'CATALOG_MIGRATE_ON_START', kind: 'bool', default: 'true', doc: 'Apply pending migrations at start.' },
  warehouseName: {
    env: 'CATALOG_WAREHOUSE_NAME',
    kind: 'string',
    default: 'default',
    doc: 'Name of the warehouse created at start; clients pass it as `warehouse` and get it back as the REST prefix.',
  },
  warehouseLocation: {
    env: 'CATALOG_WAREHOUSE_LOCATION',
    kind: 'string',
    doc: 'Root URI of that warehouse: s3://bucket/prefix or file:///path. Unset: file://CATALOG_DATA_DIR/warehouse.',
  },
  warehouseAllowedRoots: {
    env: 'CATALOG_WAREHOUSE_ALLOWED_ROOTS',
    kind: 'string',
    doc: 'Comma-separated URIs under which a warehouse clone may create a new warehouse root (which must be empty or not exist yet); the catalog deletes files only under roots it created there or was configured with. Unset: file://CATALOG_DATA_DIR/warehouses. `none` allows no new roots.',
  },
  s3Endpoint: { env: 'CATALOG_S3_ENDPOINT', kind: 'url', doc: 'S3 endpoint for S3-compatible stores; unset for AWS S3.' },
  s3Region: { env: 'CATALOG_S3_REGION', kind: 'string', default: 'us-east-1', doc: 'S3 region.' },
  s3PathStyle: {
    env: 'CATALOG_S3_PATH_STYLE',
    kind: 'bool',
    default: 'false',
    doc: 'Path-style S3 addressing (most S3-compatible servers need it).',
  },
  clientS3Endpoint: {
    env: 'CATALOG_CLIENT_S3_ENDPOINT',
    kind: 'url',
    doc: 'S3 endpoint handed to engines in /v1/config and the config of each table answer, if it differs from the one the catalog uses. Defaults to CATALOG_S3_ENDPOINT.',
  },
  commitMaxAttempts: {
    env: 'CATALOG_COMMIT_MAX_ATTEMPTS',
    kind: 'int',
    default: '10',
    doc: 'Server-side attempts of a commit whose pointer swap lost a race while its requirements still held.',
  },
  metadataCacheBytes: {
    env: 'CATALOG_METADATA_CACHE_BYTES',
    kind: 'int',
    default: '33554432',
    doc: 'Memory per replica for caching table metadata documents (by immutable metadata location).',
  },
  cloneExpiryIntervalMs: {
    env: 'CATALOG_CLONE_EXPIRY_INTERVAL_MS',
    kind: 'int',
    default: '15000',
    doc: 'How often each replica drops clones whose TTL has passed (0 turns it off on this replica).',
  },
  gcSchedule: {
    env: 'CATALOG_GC_SCHEDULE',
    kind: 'cron',
    default: '*/15 * * * *',
    doc: 'When the collector runs (cron, UTC): snapshot expiry, purge of dropped tables, indexing, sweep. Every replica schedules it; one runs it. `off` turns it off on this replica.',
  },
  gcGraceMs: {
    env: 'CATALOG_GC_GRACE_MS',
    kind: 'int',
    default: '21600000',
    doc: 'Files released (or, for the orphan sweep, written) less than this long ago are kept (6 hours).',
  },
  gcDropRetentionMs: {
    env: 'CATALOG_GC_DROP_RETENTION_MS',
    kind: 'int',
    default: '604800000',
    doc: 'How long a dropped table stays restorable before it is purged (7 days); a warehouse can set its own (`gc-settings`).',
  },
  gcOrphanSchedule: {
    env: 'CATALOG_GC_ORPHAN_SCHEDULE',
    kind: 'cron',
    default: '30 3 * * 0',
    doc: 'When a run also lists the warehouse roots for orphan files (cron, UTC; weekly by default; `off` to never).',
  },
  gcOrphanMode: {
    env: 'CATALOG_GC_ORPHAN_MODE',
    kind: 'enum',
    default: 'dry-run',
    values: ['dry-run', 'delete'],
    doc: 'What scheduled orphan sweeps do: list the orphans in the run record (dry-run) or delete them.',
  },
  gcIndexConcurrency: {
    env: 'CATALOG_GC_INDEX_CONCURRENCY',
    kind: 'int',
    default: '4',
    doc: 'Manifest lists and manifests the indexer reads at once.',
  },
  gcDeleteConcurrency: {
    env: 'CATALOG_GC_DELETE_CONCURRENCY',
    kind: 'int',
    default: '4',
    doc: 'Delete batches in flight at once (1,000 keys per S3 DeleteObjects request).',
  },
  metricsPort: {
    env: 'CATALOG_METRICS_PORT',
    kind: 'int',
    default: '9464',
    doc: 'Port of the Prometheus endpoint GET /metrics, on CATALOG_HOST (0 turns it off).',
  },
  bodyLimitBytes: {
    env: 'CATALOG_BODY_LIMIT_BYTES',
    kind: 'int',
    default: '4194304',
    doc: 'Largest accepted request body (413 beyond). A JSON body takes up to ~25 times its size in heap while it is handled (docs/benchmarks.md).',
  },
  bodyBudgetBytes: {
    env: 'CATALOG_BODY_BUDGET_BYTES',
    kind: 'int',
    default: '8388608',
    doc: 'Request bodies over 64 KiB that one replica holds at once, in bytes; past it such a request gets 503 with Retry-After before its body is read. Keeps a few large bodies at once within the heap.',
  },
  requestTimeoutMs: {
    env: 'CATALOG_REQUEST_TIMEOUT_MS',
    kind: 'int',
    default: '60000',
    doc: 'Time allowed to receive a request, and then to answer it: past it the answer is 503 (work under way, such as a commit, may still complete; clients treat a 503 on commit as unknown and check).',
  },
  shutdownDrainMs: {
    env: 'CATALOG_SHUTDOWN_DRAIN_MS',
    kind: 'int',
    default: '5000',
    doc: 'On SIGTERM, how long to keep serving with readiness already failing, so load balancers stop routing here before the port closes.',
  },
  shutdownTimeoutMs: {
    env: 'CATALOG_SHUTDOWN_TIMEOUT_MS',
    kind: 'int',
    default: '20000',
    doc: 'After the drain, how long requests in flight may take to finish before the process exits anyway. Keep drain + timeout below the pod\'s termination grace period.',
  },
  logLevel: {
    env: 'CATALOG_LOG_LEVEL',
    kind: 'enum',
    default: 'info',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    doc: 'Log level (JSON lines on standard output; readable lines when it is a terminal).',
  },
  configFile: {
    env: 'CATALOG_CONFIG_FILE',
    kind: 'string',
    doc: 'Optional file of KEY=value lines with any of these variables; the environment wins over it.',
  },
} as const satisfies Record<string, Setting>;

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  databasePoolSize: number;
  databaseStatementTimeoutMs: number;
  databaseConnectTimeoutMs: number;
  migrateOnStart: boolean;
  warehouseName: string;
  warehouseLocation: string;
  /** Canonical roots under which new warehouse roots may be created (warehouse clones). */
  warehouseAllowedRoots: readonly string[];
  s3: { endpoint?: string; region: string; pathStyle: boolean; clientEndpoint?: string };
  commitMaxAttempts: number;
  metadataCacheBytes: number;
  cloneExpiryIntervalMs: number;
  gc: {
    schedule: string | null;
    graceMs: number;
    dropRetentionMs: number;
    orphanSchedule: string | null;
    orphanMode: 'dry-run' | 'delete';
    indexConcurrency: number;
    deleteConcurrency: number;
  };
  metricsPort: number;
  bodyLimitBytes: number;
  bodyBudgetBytes: number;
  requestTimeoutMs: number;
  shutdownDrainMs: number;
  shutdownTimeoutMs: number;
  logLevel: string;
}

export class ConfigError extends Error {}

/** A warehouse root as the catalog compares it: canonical, no trailing slash, s3:// or file:///. */
function canonicalRoot(variable: string, raw: string): string {
  const root = canonicalObjectUri(raw.trim()).replace(/\/+$/, '');
  if (!/^(s3:\/\/[^/]+|file:\/\/\/.+)/.test(root) || root.includes('\0') || /\/\.\.(\/|$)/.test(root)) {
    throw new ConfigError(`${variable}: expected an s3:// or file:// URI, got "${raw}"`);
  }
  return root;
}

function allowedRoots(raw: string | undefined, dataDir: string): string[] {
  if (raw === undefined) return [fileUri(resolve(dataDir, 'warehouses'))];
  if (raw.trim() === 'none') return [];
  return raw
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '')
    .map((r) => canonicalRoot('CATALOG_WAREHOUSE_ALLOWED_ROOTS', r));
}

function parseValue(name: string, setting: Setting, raw: string): string | number | boolean {
  switch (setting.kind) {
    case 'int': {
      const n = Number(raw);
      if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n)) throw new ConfigError(`${setting.env}: expected a whole number, got "${raw}"`);
      return n;
    }
    case 'bool':
      if (!['true', 'false', '1', '0'].includes(raw.toLowerCase())) throw new ConfigError(`${setting.env}: expected true or false, got "${raw}"`);
      return raw.toLowerCase() === 'true' || raw === '1';
    case 'url':
      try {
        new URL(raw);
      } catch {
        throw new ConfigError(`${setting.env}: expected a URL, got "${name === 'databaseUrl' ? '(hidden)' : raw}"`);
      }
      return raw;
    case 'cron':
      if (raw !== 'off' && !isCronExpression(raw)) throw new ConfigError(`${setting.env}: expected a cron expression or off, got "${raw}"`);
      return raw;
    case 'enum':
      if (!setting.values!.includes(raw)) throw new ConfigError(`${setting.env}: expected one of ${setting.values!.join(', ')}, got "${raw}"`);
      return raw;
    default:
      return raw;
  }
}

function readConfigFile(path: string): Record<string, string> {
  if (!existsSync(path)) throw new ConfigError(`CATALOG_CONFIG_FILE: ${path} does not exist`);
  const values: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    if (eq < 0) throw new ConfigError(`CATALOG_CONFIG_FILE: line "${trimmed}" is not KEY=value`);
    values[trimmed.slice(0, eq).trim()] = trimmed.slice(eq + 1).trim();
  }
  return values;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const fromFile = env.CATALOG_CONFIG_FILE ? readConfigFile(env.CATALOG_CONFIG_FILE) : {};
  const values: Record<string, string | number | boolean | undefined> = {};
  for (const [name, setting] of Object.entries(SETTINGS) as [string, Setting][]) {
    const raw = env[setting.env] ?? fromFile[setting.env] ?? setting.default;
    values[name] = raw === undefined || raw === '' ? undefined : parseValue(name, setting, raw);
  }
  const dataDir = resolve(values.dataDir as string);
  const warehouseLocation = canonicalRoot(
    'CATALOG_WAREHOUSE_LOCATION',
    (values.warehouseLocation as string | undefined) ?? fileUri(resolve(dataDir, 'warehouse')),
  );
  // The orphan sweep deletes unregistered files under the warehouse root: the embedded
  // database must never be one of them.
  const embeddedDb = resolve(dataDir, 'catalog-db');
  let warehousePath: string | undefined;
  try {
    warehousePath = warehouseLocation.startsWith('file:') ? resolve(fileUriToPath(warehouseLocation)) : undefined;
  } catch (error) {
    throw new ConfigError(`CATALOG_WAREHOUSE_LOCATION: ${(error as Error).message}`);
  }
  if (!values.databaseUrl && warehousePath !== undefined && (embeddedDb === warehousePath || embeddedDb.startsWith(warehousePath.replace(/\/+$/, '') + '/'))) {
    throw new ConfigError(`CATALOG_WAREHOUSE_LOCATION (${warehouseLocation}) must not contain the embedded database (${embeddedDb})`);
  }
  return Object.freeze({
    host: values.host as string,
    port: values.port as number,
    dataDir,
    databaseUrl: values.databaseUrl as string | undefined,
    databasePoolSize: values.databasePoolSize as number,
    databaseStatementTimeoutMs: values.databaseStatementTimeoutMs as number,
    databaseConnectTimeoutMs: values.databaseConnectTimeoutMs as number,
    migrateOnStart: values.migrateOnStart as boolean,
    warehouseName: values.warehouseName as string,
    warehouseLocation,
    warehouseAllowedRoots: Object.freeze(allowedRoots(values.warehouseAllowedRoots as string | undefined, dataDir)),
    s3: Object.freeze({
      endpoint: values.s3Endpoint as string | undefined,
      region: values.s3Region as string,
      pathStyle: values.s3PathStyle as boolean,
      clientEndpoint: (values.clientS3Endpoint ?? values.s3Endpoint) as string | undefined,
    }),
    commitMaxAttempts: values.commitMaxAttempts as number,
    metadataCacheBytes: values.metadataCacheBytes as number,
    cloneExpiryIntervalMs: values.cloneExpiryIntervalMs as number,
    gc: Object.freeze({
      schedule: values.gcSchedule === 'off' ? null : (values.gcSchedule as string),
      graceMs: values.gcGraceMs as number,
      dropRetentionMs: values.gcDropRetentionMs as number,
      orphanSchedule: values.gcOrphanSchedule === 'off' ? null : (values.gcOrphanSchedule as string),
      orphanMode: values.gcOrphanMode as 'dry-run' | 'delete',
      indexConcurrency: Math.max(1, values.gcIndexConcurrency as number),
      deleteConcurrency: Math.max(1, values.gcDeleteConcurrency as number),
    }),
    metricsPort: values.metricsPort as number,
    bodyLimitBytes: values.bodyLimitBytes as number,
    bodyBudgetBytes: values.bodyBudgetBytes as number,
    requestTimeoutMs: values.requestTimeoutMs as number,
    shutdownDrainMs: values.shutdownDrainMs as number,
    shutdownTimeoutMs: values.shutdownTimeoutMs as number,
    logLevel: values.logLevel as string,
  });
}

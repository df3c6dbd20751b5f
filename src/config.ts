// Configuration: one schema, read from the environment once at start, validated, frozen and
// passed down. A bad value stops the start with a message naming the variable. The same
// table generates the README's configuration section (see docs), so defaults live in one place.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { canonicalObjectUri } from './gc/object-uri.js';
import { fileUri, fileUriToPath } from './storage/filesystem-store.js';
import { isCronExpression } from './scheduler/cron-job.js';

import { SETTINGS, type Setting } from './config-settings.js';

export { SETTINGS } from './config-settings.js';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  databasePoolSize: number;
  databaseStatementTimeoutMs: number;
  databasePreparedStatements: boolean;
  databaseConnectTimeoutMs: number;
  migrateOnStart: boolean;
  warehouseName: string;
  warehouseLocation: string;
  /** Canonical roots under which new warehouse roots may be created (warehouse clones). */
  warehouseAllowedRoots: readonly string[];
  s3: { endpoint?: string; region: string; pathStyle: boolean; clientEndpoint?: string };
  /** Credential vending (src/storage/credential-vendor.ts); undefined when off. */
  vending?: { mode: 'sts'; roleArn: string; durationSeconds: number; stsEndpoint?: string } | { mode: 'static'; accessKeyId: string; secretAccessKey: string };
  /** Remote signing of engines' S3 requests (src/storage/signing-check.ts). */
  remoteSigning: boolean;
  commitMaxAttempts: number;
  metadataCacheBytes: number;
  cloneExpiryIntervalMs: number;
  /** Tree clones of more tables and views than this write their first metadata files after committing. */
  cloneInlineMetadataFiles: number;
  auditRetentionDays: number;
  /** 0: Idempotency-Key is not honoured (nor advertised). */
  idempotencyKeyLifetimeMs: number;
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
  auth: AuthConfig;
}

export interface AuthConfig {
  mode: 'off' | 'catalog' | 'oidc';
  allowUnauthenticated: boolean;
  oidc: { issuers: readonly string[]; audience?: string; principalClaim: string; groupsClaim: string };
  tokenLifetimeSeconds: number;
  tokenKeyRotationSeconds: number;
  bootstrapClient?: { id: string; secret: string };
  admins: readonly string[];
}

export class ConfigError extends Error {}

const list = (raw: unknown) =>
  typeof raw === 'string'
    ? raw
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '')
    : [];

function authConfig(values: Record<string, string | number | boolean | undefined>): AuthConfig {
  const mode = values.authentication as AuthConfig['mode'];
  const issuers = list(values.oidcIssuers);
  for (const issuer of issuers) {
    let url: URL;
    try {
      url = new URL(issuer);
    } catch {
      throw new ConfigError(`CATALOG_OIDC_ISSUERS: expected URLs, got "${issuer}"`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`CATALOG_OIDC_ISSUERS: ${issuer} is not an http(s) URL`);
  }
  if (mode === 'oidc' && issuers.length === 0) throw new ConfigError('CATALOG_OIDC_ISSUERS: at least one issuer is needed with CATALOG_AUTHENTICATION=oidc');
  if (mode === 'oidc' && !values.oidcAudience) throw new ConfigError('CATALOG_OIDC_AUDIENCE: required with CATALOG_AUTHENTICATION=oidc');
  const id = values.bootstrapClientId as string | undefined;
  const secret = values.bootstrapClientSecret as string | undefined;
  if ((id === undefined) !== (secret === undefined)) {
    throw new ConfigError('CATALOG_BOOTSTRAP_CLIENT_ID and CATALOG_BOOTSTRAP_CLIENT_SECRET go together');
  }
  if (secret !== undefined && secret.length < 16) throw new ConfigError('CATALOG_BOOTSTRAP_CLIENT_SECRET: at least 16 characters');
  if (id !== undefined && !/^[A-Za-z0-9._~-]{1,128}$/.test(id)) {
    throw new ConfigError('CATALOG_BOOTSTRAP_CLIENT_ID: 1-128 characters of A-Z a-z 0-9 . _ ~ -');
  }
  if ((values.tokenLifetimeSeconds as number) < 10) throw new ConfigError('CATALOG_TOKEN_LIFETIME_SECONDS: at least 10');
  if ((values.tokenKeyRotationSeconds as number) < 60) throw new ConfigError('CATALOG_TOKEN_KEY_ROTATION_SECONDS: at least 60');
  return Object.freeze({
    mode,
    allowUnauthenticated: values.allowUnauthenticated as boolean,
    oidc: Object.freeze({
      issuers: Object.freeze(issuers),
      audience: values.oidcAudience as string | undefined,
      principalClaim: values.oidcPrincipalClaim as string,
      groupsClaim: values.oidcGroupsClaim as string,
    }),
    tokenLifetimeSeconds: values.tokenLifetimeSeconds as number,
    tokenKeyRotationSeconds: values.tokenKeyRotationSeconds as number,
    bootstrapClient: id !== undefined && secret !== undefined ? Object.freeze({ id, secret }) : undefined,
    admins: Object.freeze(list(values.admins)),
  });
}

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
  if ((values.auditRetentionDays as number) < 1) throw new ConfigError('CATALOG_AUDIT_RETENTION_DAYS: at least 1');
  const vendingDuration = values.s3VendingDurationSeconds as number;
  if (vendingDuration < 900 || vendingDuration > 43_200) throw new ConfigError('CATALOG_S3_VENDING_DURATION_SECONDS: from 900 to 43200');
  if (values.s3Vending === 'sts' && !values.s3VendingRoleArn) throw new ConfigError('CATALOG_S3_VENDING=sts needs CATALOG_S3_VENDING_ROLE_ARN');
  if (values.s3Vending === 'static' && !(values.s3VendingAccessKeyId && values.s3VendingSecretAccessKey)) {
    throw new ConfigError('CATALOG_S3_VENDING=static needs CATALOG_S3_VENDING_ACCESS_KEY_ID and CATALOG_S3_VENDING_SECRET_ACCESS_KEY');
  }
  const idempotencySeconds = values.idempotencyKeyLifetimeSeconds as number;
  if (idempotencySeconds < 0 || idempotencySeconds > 7 * 86_400) throw new ConfigError('CATALOG_IDEMPOTENCY_KEY_LIFETIME_SECONDS: from 0 (off) to 604800 (a week)');
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
    databasePreparedStatements: values.databasePreparedStatements as boolean,
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
    vending:
      values.s3Vending === 'static'
        ? Object.freeze({ mode: 'static' as const, accessKeyId: values.s3VendingAccessKeyId as string, secretAccessKey: values.s3VendingSecretAccessKey as string })
        : values.s3Vending === 'sts'
        ? Object.freeze({
            mode: 'sts' as const,
            roleArn: values.s3VendingRoleArn as string,
            durationSeconds: vendingDuration,
            stsEndpoint: (values.s3StsEndpoint ?? values.s3Endpoint) as string | undefined,
          })
        : undefined,
    remoteSigning: values.s3RemoteSigning as boolean,
    commitMaxAttempts: values.commitMaxAttempts as number,
    metadataCacheBytes: values.metadataCacheBytes as number,
    cloneExpiryIntervalMs: values.cloneExpiryIntervalMs as number,
    cloneInlineMetadataFiles: values.cloneInlineMetadataFiles as number,
    auditRetentionDays: values.auditRetentionDays as number,
    idempotencyKeyLifetimeMs: idempotencySeconds * 1000,
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
    auth: authConfig(values),
  });
}

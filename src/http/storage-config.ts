// The client-facing storage settings an engine needs to reach a table's files. /v1/config
// hands them out as catalog defaults, but DuckDB reads only a LoadTableResult's `config`, so
// every table answer carries them too, under the same keys (Java's S3FileIO and Trino read
// `s3.*`, PyIceberg `s3.*` and `client.region`). Credentials only when vended, to the engine
// that asked (src/storage/credential-vendor.ts).
//
// DuckDB also scopes those settings to the table's location, while a clone's files lie under
// its source's location (and the source's source's). So an S3 table answer lists every
// prefix its files may lie under in `storage-credentials`, each with the same settings (and,
// still, no keys): DuckDB builds one scoped secret per entry, and clients that pick the
// longest matching prefix (Java, PyIceberg) get the same settings whichever they pick.
import type { Config } from '../config.js';
import type { VendedCredentials } from '../storage/credential-vendor.js';

export type StorageConfig = Readonly<Record<string, string>>;

const EMPTY: StorageConfig = Object.freeze({});

/** The settings for files at `location`: S3's for s3:// (s3a, s3n), none for a local directory. */
export function storageConfigFor(location: string, s3: Config['s3']): StorageConfig {
  if (!/^s3[an]?:\/\//i.test(location)) return EMPTY;
  const settings: Record<string, string> = {};
  if (s3.clientEndpoint) settings['s3.endpoint'] = s3.clientEndpoint;
  settings['s3.region'] = s3.region;
  settings['client.region'] = s3.region;
  settings['s3.path-style-access'] = String(s3.pathStyle);
  return Object.freeze(settings);
}

const WRITE_PATH_PROPERTIES = ['write.data.path', 'write.metadata.path'] as const;

/**
 * Where a table's files may lie: its location, the data and metadata paths it writes to when
 * set, and the locations of the tables it was cloned from. Each ends with a slash, so a
 * prefix never takes in a sibling directory whose name merely starts the same.
 */
export function tableFilePrefixes(location: string, sourceLocations: readonly string[], properties: Readonly<Record<string, string>>): string[] {
  const paths = [location, ...WRITE_PATH_PROPERTIES.map((p) => properties[p]).filter((p) => typeof p === 'string'), ...sourceLocations];
  return [...new Set(paths.map((p) => `${p.trim().replace(/\/+$/, '')}/`))];
}

/** The parts of a table answer that depend on where its files lie, as JSON text. */
export interface StorageAnswer {
  /** The `config` object. */
  config: string;
  /** `,"storage-credentials":[...]` to follow it, or nothing (local tables). */
  credentials: string;
  /** What the ETag hashes of them. */
  etagPart: string;
}

/** Precomputed per URI scheme, so the hot loadTable path does no work for it. */
export class StorageConfigs {
  private readonly s3Settings: StorageConfig;
  private readonly s3Json: string;

  constructor(s3: Config['s3']) {
    this.s3Settings = storageConfigFor('s3://', s3);
    this.s3Json = JSON.stringify(this.s3Settings);
  }

  isS3(location: string): boolean {
    return /^s3[an]?:\/\//i.test(location);
  }

  /**
   * `config` and `storage-credentials` for a table whose files lie under `prefixes` (the first
   * is its location). The ETag covers both: a catalog restarted with other S3 settings must
   * not have a client keep a cached answer as current. With `vended` credentials they go into
   * the config and every entry, with where to renew them; the ETag then changes with them, so
   * a client revalidating a load never keeps credentials that have been replaced.
   */
  answerFor(prefixes: readonly string[], vended?: VendedConfig): StorageAnswer {
    if (!this.isS3(prefixes[0] ?? '')) return { config: '{}', credentials: '', etagPart: '' };
    const settings = vended ? { ...this.s3Settings, ...vended.config } : this.s3Settings;
    const entries = this.entries(prefixes, settings);
    const config = vended ? JSON.stringify({ ...settings, ...vended.refresh }) : this.s3Json;
    const credentials = `,"storage-credentials":${JSON.stringify(entries)}`;
    return { config, credentials, etagPart: config + credentials };
  }

  /** The `storage-credentials` entries alone (the loadCredentials answer). */
  entries(prefixes: readonly string[], settings: StorageConfig = this.s3Settings): { prefix: string; config: StorageConfig }[] {
    return prefixes.filter((p) => this.isS3(p)).map((prefix) => ({ prefix, config: settings }));
  }
}

/** Vended credentials as table config, and where a client renews them (Java's S3FileIO reads both). */
export interface VendedConfig {
  config: StorageConfig;
  refresh: StorageConfig;
}

export function vendedConfig(credentials: VendedCredentials, refreshPath: string): VendedConfig {
  return {
    config: {
      's3.access-key-id': credentials.accessKeyId,
      's3.secret-access-key': credentials.secretAccessKey,
      ...(credentials.sessionToken ? { 's3.session-token': credentials.sessionToken } : {}),
      ...(credentials.expiresAt ? { 's3.session-token-expires-at-ms': String(credentials.expiresAt.getTime()) } : {}),
    },
    refresh: { 'client.refresh-credentials-endpoint': refreshPath, 'client.refresh-credentials-enabled': 'true' },
  };
}

/**
 * Remote signing as table config: Java's S3FileIO (1.11) signs through `signer.endpoint`
 * (relative to the catalog's URI) once `s3.remote-signing-enabled` is set, and PyIceberg's
 * fsspec FileIO through `s3.signer`/`s3.signer.endpoint`. No key is handed out.
 */
export function signingConfig(signPath: string): VendedConfig {
  return {
    config: { 's3.remote-signing-enabled': 'true', 'signer.endpoint': signPath, 's3.signer': 'S3V4RestSigner', 's3.signer.endpoint': signPath },
    refresh: {},
  };
}

// The client-facing storage settings an engine needs to reach a table's files. /v1/config
// hands them out as catalog defaults, but DuckDB reads only a LoadTableResult's `config`, so
// every table answer carries them too, under the same keys (Java's S3FileIO and Trino read
// `s3.*`, PyIceberg `s3.*` and `client.region`). Never credentials: those belong to
// credential vending.
import type { Config } from '../config.js';

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

/** Precomputed per URI scheme, so the hot loadTable path does no work for it. */
export class StorageConfigs {
  private readonly s3Settings: StorageConfig;
  private readonly s3Json: string;

  constructor(s3: Config['s3']) {
    this.s3Settings = storageConfigFor('s3://', s3);
    this.s3Json = JSON.stringify(this.s3Settings);
  }

  private isS3(location: string) {
    return /^s3[an]?:\/\//i.test(location);
  }

  forLocation(location: string): StorageConfig {
    return this.isS3(location) ? this.s3Settings : EMPTY;
  }

  /** The JSON text of `forLocation`, for answers assembled as text. */
  jsonForLocation(location: string): string {
    return this.isS3(location) ? this.s3Json : '{}';
  }

  /**
   * Part of a table answer's ETag: the answer includes the config, so a catalog restarted
   * with other S3 settings must not have a client keep a cached answer as current.
   */
  etagPartFor(location: string): string {
    return this.isS3(location) ? this.s3Json : '';
  }
}

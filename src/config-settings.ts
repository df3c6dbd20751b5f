// The configuration schema: every setting with its environment variable, default and
// documentation (README's table and the Helm chart's values are checked against it).
export type Kind = 'string' | 'int' | 'bool' | 'url' | 'enum' | 'cron';

export interface Setting {
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
    doc: 'Address the HTTP server listens on; 0.0.0.0 for all interfaces (containers). Any address other than loopback needs CATALOG_AUTHENTICATION (or CATALOG_ALLOW_UNAUTHENTICATED=true).',
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
  databasePreparedStatements: {
    env: 'CATALOG_DATABASE_PREPARED_STATEMENTS',
    kind: 'bool',
    default: 'true',
    doc: 'Run the hottest queries (finding a table) as named prepared statements; turn off behind a pooler that cannot keep them (PgBouncer before 1.21 in transaction mode).',
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
  s3Vending: {
    env: 'CATALOG_S3_VENDING',
    kind: 'enum',
    default: 'off',
    values: ['off', 'sts', 'static'],
    doc: 'Vend S3 credentials to engines that ask (X-Iceberg-Access-Delegation: vended-credentials): `sts` assumes CATALOG_S3_VENDING_ROLE_ARN with a session policy for each table (read its files and its clone sources\', write only its own, never delete); `static` hands every such engine the same keys (CATALOG_S3_VENDING_ACCESS_KEY_ID), for stores without STS: weaker, see docs/security.md.',
  },
  s3VendingAccessKeyId: {
    env: 'CATALOG_S3_VENDING_ACCESS_KEY_ID',
    kind: 'string',
    doc: 'The key id CATALOG_S3_VENDING=static hands out: give it a store user that may read and write the warehouse but not delete.',
  },
  s3VendingSecretAccessKey: {
    env: 'CATALOG_S3_VENDING_SECRET_ACCESS_KEY',
    kind: 'string',
    doc: 'Its secret (from a Secret, e.g. through the chart\'s extraEnvFrom).',
  },
  s3VendingRoleArn: {
    env: 'CATALOG_S3_VENDING_ROLE_ARN',
    kind: 'string',
    doc: 'The role vended credentials are sessions of (CATALOG_S3_VENDING=sts); the catalog\'s own credentials must be allowed to assume it, and it must reach every warehouse\'s files.',
  },
  s3VendingDurationSeconds: {
    env: 'CATALOG_S3_VENDING_DURATION_SECONDS',
    kind: 'int',
    default: '3600',
    doc: 'Lifetime of vended credentials (900 to 43200 s); engines renew them at GET .../tables/{table}/credentials.',
  },
  s3StsEndpoint: {
    env: 'CATALOG_S3_STS_ENDPOINT',
    kind: 'url',
    doc: 'STS endpoint for vending; defaults to CATALOG_S3_ENDPOINT (S3-compatible stores such as MinIO serve STS there), and AWS STS when neither is set.',
  },
  s3RemoteSigning: {
    env: 'CATALOG_S3_REMOTE_SIGNING',
    kind: 'bool',
    default: 'false',
    doc: 'Sign engines\' S3 requests (X-Iceberg-Access-Delegation: remote-signing; POST .../tables/{table}/sign): reads within the table\'s files and its clone sources\', writes under its own location, never a delete. Signed with vended credentials when CATALOG_S3_VENDING=sts, else with the catalog\'s own.',
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
  cloneInlineMetadataFiles: {
    env: 'CATALOG_CLONE_INLINE_METADATA_FILES',
    kind: 'int',
    default: '64',
    doc: "A namespace or warehouse clone of up to this many tables and views writes their first metadata files before it answers; a larger one answers once its rows commit and writes them right after (loads are served from the database meanwhile; a restart resumes the writing).",
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
  idempotencyKeyLifetimeSeconds: {
    env: 'CATALOG_IDEMPOTENCY_KEY_LIFETIME_SECONDS',
    kind: 'int',
    default: '1800',
    doc: 'How long a client may retry a mutation with the same Idempotency-Key (advertised in /v1/config as `idempotency-key-lifetime`; 0 turns idempotency keys off). Answers are kept 5 minutes longer, then deleted hourly.',
  },
  auditRetentionDays: {
    env: 'CATALOG_AUDIT_RETENTION_DAYS',
    kind: 'int',
    default: '90',
    doc: 'How long the audit log keeps its events in Postgres (at least 1 day); each replica deletes older ones hourly. The JSON log lines are kept as long as your log store keeps them.',
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
  authentication: {
    env: 'CATALOG_AUTHENTICATION',
    kind: 'enum',
    default: 'off',
    values: ['off', 'catalog', 'oidc'],
    doc: 'Who may call the API: `off` (anyone who reaches the port; refused on a non-loopback address unless CATALOG_ALLOW_UNAUTHENTICATED), `catalog` (bearer tokens the catalog issues at /v1/oauth/tokens to its registered clients), `oidc` (bearer JWTs of the issuers in CATALOG_OIDC_ISSUERS).',
  },
  allowUnauthenticated: {
    env: 'CATALOG_ALLOW_UNAUTHENTICATED',
    kind: 'bool',
    default: 'false',
    doc: 'Let the catalog listen on a non-loopback address with CATALOG_AUTHENTICATION=off (behind an authenticating proxy, say).',
  },
  oidcIssuers: {
    env: 'CATALOG_OIDC_ISSUERS',
    kind: 'string',
    doc: 'Comma-separated issuer URLs whose JWTs are accepted (CATALOG_AUTHENTICATION=oidc); each serves /.well-known/openid-configuration. A Kubernetes API server is one more issuer.',
  },
  oidcAudience: {
    env: 'CATALOG_OIDC_AUDIENCE',
    kind: 'string',
    doc: 'The audience (aud) every accepted token must name (required with oidc).',
  },
  oidcPrincipalClaim: {
    env: 'CATALOG_OIDC_PRINCIPAL_CLAIM',
    kind: 'string',
    default: 'sub',
    doc: 'The claim that names the principal.',
  },
  oidcGroupsClaim: {
    env: 'CATALOG_OIDC_GROUPS_CLAIM',
    kind: 'string',
    default: 'groups',
    doc: "The claim that lists the principal's groups (roles can be granted to groups).",
  },
  tokenLifetimeSeconds: {
    env: 'CATALOG_TOKEN_LIFETIME_SECONDS',
    kind: 'int',
    default: '3600',
    doc: 'Lifetime of the tokens the catalog issues (CATALOG_AUTHENTICATION=catalog).',
  },
  tokenKeyRotationSeconds: {
    env: 'CATALOG_TOKEN_KEY_ROTATION_SECONDS',
    kind: 'int',
    default: '86400',
    doc: 'How long the catalog signs tokens with one key before making a new one; an old key still verifies until its last token expires.',
  },
  bootstrapClientId: {
    env: 'CATALOG_BOOTSTRAP_CLIENT_ID',
    kind: 'string',
    doc: 'With CATALOG_AUTHENTICATION=catalog: a client registered at start (with CATALOG_BOOTSTRAP_CLIENT_SECRET), an administrator, to register the others.',
  },
  bootstrapClientSecret: {
    env: 'CATALOG_BOOTSTRAP_CLIENT_SECRET',
    kind: 'string',
    doc: "That client's secret (at least 16 characters); stored only as a slow hash.",
  },
  admins: {
    env: 'CATALOG_ADMINS',
    kind: 'string',
    doc: 'Comma-separated principals who administer the catalog (every privilege, grants included): the first administrators of an OIDC deployment.',
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

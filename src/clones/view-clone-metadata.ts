// The metadata of a view clone (pure): a new view (own uuid, own location) whose current
// version is the source's version at the chosen point. A view names no data files, so a
// clone shares nothing with its source but the text of its query.
//
// The query is never rewritten: names it qualifies keep naming what they named. A namespace
// clone may rewrite the version's default namespace, which is what unqualified names resolve
// against, from inside the cloned tree to the matching namespace of the clone (an appended
// version, so the history shows it), so a cloned view reads the cloned tables.
import { currentViewVersion, type ViewHistoryEntry, type ViewMetadata, type ViewVersion } from '../iceberg/view-metadata.js';
import { WRITE_METADATA_PATH } from '../catalog/view-service.js';

export interface ViewCloneOptions {
  uuid: string;
  location: string;
  now: number;
  /** 'point': only the chosen version (default); 'all': every version the source keeps. */
  history: 'point' | 'all';
  /** The version to make current (the source's current one by default). */
  version?: ViewVersion;
  /** Maps a default namespace inside the cloned tree to the clone's; undefined leaves it as is. */
  rewriteNamespace?: (levels: string[]) => string[] | undefined;
}

export function cloneViewMetadata(source: ViewMetadata, options: ViewCloneOptions): ViewMetadata {
  const chosen = options.version ?? currentViewVersion(source);
  const versions = options.history === 'all' ? [...source.versions] : [chosen];
  const schemaIds = new Set(versions.map((v) => v['schema-id']));
  let log: ViewHistoryEntry[] =
    options.history === 'all'
      ? source['version-log'].filter((e) => Number(e['timestamp-ms']) <= options.now)
      : [{ 'version-id': chosen['version-id'], 'timestamp-ms': options.now }];
  if (log.at(-1)?.['version-id'] !== chosen['version-id']) log = [...log, { 'version-id': chosen['version-id'], 'timestamp-ms': options.now }];
  let current = chosen['version-id'];

  const rewritten = options.rewriteNamespace?.(chosen['default-namespace']);
  if (rewritten && rewritten.join('\x1f') !== chosen['default-namespace'].join('\x1f')) {
    const id = Math.max(...versions.map((v) => v['version-id'])) + 1;
    versions.push({
      ...chosen,
      'version-id': id,
      'timestamp-ms': options.now,
      summary: { ...chosen.summary, operation: 'replace', 'cloned-from-default-namespace': chosen['default-namespace'].join('.') },
      'default-namespace': rewritten,
    });
    log = [...log, { 'version-id': id, 'timestamp-ms': options.now }];
    current = id;
  }

  // The source's metadata path would put the clone's files among the source's.
  const { [WRITE_METADATA_PATH]: _path, ...properties } = source.properties;
  return {
    ...source,
    'view-uuid': options.uuid,
    location: options.location,
    'current-version-id': current,
    versions,
    'version-log': log,
    schemas: source.schemas.filter((s) => schemaIds.has(s['schema-id']!)),
    properties,
  };
}

/** A rewrite of default namespaces from the tree at `sourceRoot` to the tree at `destinationRoot`. */
export function namespaceRewrite(sourceRoot: string[], destinationRoot: string[]): (levels: string[]) => string[] | undefined {
  return (levels) => {
    if (levels.length < sourceRoot.length || !sourceRoot.every((level, i) => levels[i] === level)) return undefined;
    return [...destinationRoot, ...levels.slice(sourceRoot.length)];
  };
}

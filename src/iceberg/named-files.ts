// The files a table metadata document names directly (spec: "Table Metadata", "Snapshots",
// "Table Statistics"): each snapshot's manifest list (or, in format v1, its manifests), the
// statistics and partition statistics files, and the earlier metadata files of the log. The
// catalog roots these and the collector reads them, so a commit may name them only inside the
// warehouse (src/catalog/locations.ts). Data files are named one level further down, inside
// manifests, which the catalog reads only in the collector, and there only inside managed roots.
import type { TableMetadata } from './table-metadata.js';

export interface NamedFile {
  uri: string;
  /** What names it, for error messages: "manifest list of snapshot 12", ... */
  role: string;
}

export function filesNamedBy(metadata: TableMetadata, options: { metadataLog: boolean }): NamedFile[] {
  const files: NamedFile[] = [];
  for (const snapshot of metadata.snapshots) {
    const id = String(snapshot['snapshot-id']);
    if (typeof snapshot['manifest-list'] === 'string') files.push({ uri: snapshot['manifest-list'], role: `manifest list of snapshot ${id}` });
    for (const manifest of snapshot.manifests ?? []) {
      if (typeof manifest === 'string') files.push({ uri: manifest, role: `manifest of snapshot ${id}` });
    }
  }
  for (const file of metadata.statistics) files.push({ uri: file['statistics-path'], role: 'statistics file' });
  for (const file of metadata['partition-statistics']) files.push({ uri: file['statistics-path'], role: 'partition statistics file' });
  if (options.metadataLog) {
    for (const entry of metadata['metadata-log']) files.push({ uri: entry['metadata-file'], role: 'metadata log entry' });
  }
  return files;
}

/** Files `next` names that `base` did not: what a commit adds. */
export function filesAddedBy(base: TableMetadata | undefined, next: TableMetadata): NamedFile[] {
  const before = new Set(base ? filesNamedBy(base, { metadataLog: false }).map((f) => f.uri) : []);
  return filesNamedBy(next, { metadataLog: false }).filter((f) => !before.has(f.uri));
}

// A local directory as object storage (file:// URIs): the embedded default's warehouse.
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ObjectStore, StoredObject } from './object-store.js';

/**
 * The path a file:// URI names, taken literally: engines (PyIceberg, Hadoop's Path) do not
 * percent-decode location paths, so `%20` or `%2e%2e` are plain characters here too, and a
 * location can never resolve outside the directory its text names.
 */
export function fileUriToPath(uri: string): string {
  const match = /^file:(?:\/\/(?:localhost)?)?(\/.*)$/i.exec(uri);
  if (!match) throw new Error(`Not a local file URI: ${uri}`);
  const path = match[1];
  if (path.includes('\0')) throw new Error('NUL byte in file URI');
  if (path.split('/').some((segment) => segment === '..')) throw new Error(`'..' in file URI: ${uri}`);
  return path;
}

/** The file:/// URI of an absolute path, with the path kept literally. */
export function fileUri(path: string): string {
  return `file://${path}`;
}

const toPath = fileUriToPath;

const DELETE_CONCURRENCY = 32;

export class FilesystemObjectStore implements ObjectStore {
  async put(uri: string, body: Uint8Array | string): Promise<void> {
    const path = toPath(uri);
    // Written in place, exclusively: objects are immutable, so an existing file is never
    // replaced, and nobody learns of a new file before the commit that publishes it, so no
    // reader can see it half written (a crash mid-write leaves an orphan for the collector).
    // The directory usually exists already; it is created only when the write says it does not.
    try {
      await writeFile(path, body, { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, body, { flag: 'wx' });
    }
  }

  async get(uri: string): Promise<Uint8Array | undefined> {
    try {
      return await readFile(toPath(uri));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(uris: readonly string[]): Promise<void> {
    // Bounded: a thousand unlinks at once would exhaust file handles on a busy node.
    let next = 0;
    const worker = async () => {
      while (next < uris.length) await rm(toPath(uris[next++]), { force: true });
    };
    await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, uris.length) }, worker));
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    const base = toPath(prefix.endsWith('/') ? prefix : prefix + '/');
    const walk = async function* (dir: string): AsyncIterable<StoredObject> {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) yield* walk(full);
        else if (entry.isFile()) {
          const info = await stat(full);
          yield { uri: fileUri(full), size: info.size, lastModified: info.mtime };
        }
      }
    };
    yield* walk(base);
  }
}

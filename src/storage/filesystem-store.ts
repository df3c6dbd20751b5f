// A local directory as object storage (file:// URIs): the embedded default's warehouse.
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ObjectStore, StoredObject } from './object-store.js';

function toPath(uri: string): string {
  if (uri.includes('\0')) throw new Error('NUL byte in file URI');
  return fileURLToPath(uri);
}

/** file:///a/b and file:/a/b both name /a/b; we always produce the triple-slash form. */
export function fileUri(path: string): string {
  return pathToFileURL(path).href;
}

export class FilesystemObjectStore implements ObjectStore {
  async put(uri: string, body: Uint8Array | string): Promise<void> {
    const path = toPath(uri);
    await mkdir(dirname(path), { recursive: true });
    // Write then rename, so a reader never sees half a file.
    const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temporary, body);
    await rename(temporary, path);
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
    await Promise.all(uris.map((uri) => rm(toPath(uri), { force: true })));
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

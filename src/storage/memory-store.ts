// In-memory object storage: the twin of the real stores for unit tests.
import type { ObjectStore, StoredObject } from './object-store.js';

export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, { body: Uint8Array; lastModified: Date }>();

  async put(uri: string, body: Uint8Array | string): Promise<void> {
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    this.objects.set(uri, { body: bytes, lastModified: new Date() });
  }

  async get(uri: string): Promise<Uint8Array | undefined> {
    return this.objects.get(uri)?.body;
  }

  async delete(uris: readonly string[]): Promise<void> {
    for (const uri of uris) this.objects.delete(uri);
  }

  /** Like the real stores, a prefix names a directory: `…/t` lists `…/t/x`, not `…/t2/x`. */
  async *list(prefix: string): AsyncIterable<StoredObject> {
    const directory = prefix.endsWith('/') ? prefix : `${prefix}/`;
    for (const [uri, { body, lastModified }] of this.objects) {
      if (uri.startsWith(directory)) yield { uri, size: body.byteLength, lastModified };
    }
  }
}

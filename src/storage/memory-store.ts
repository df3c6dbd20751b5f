// In-memory object storage: the twin of the real stores for unit tests. It keeps their
// contract where it can (root confinement, size cap, abort signal); it has no links or pipes.
import {
  outsideRoot,
  sizeCapError,
  type ConfinedAccess,
  type DeleteOutcome,
  type ObjectStore,
  type ReadOptions,
  type StoredObject,
} from './object-store.js';

export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, { body: Uint8Array; lastModified: Date }>();

  async put(uri: string, body: Uint8Array | string, options?: ConfinedAccess): Promise<void> {
    const refusal = outsideRoot(uri, options);
    if (refusal) throw refusal;
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    this.objects.set(uri, { body: bytes, lastModified: new Date() });
  }

  async get(uri: string, options?: ReadOptions): Promise<Uint8Array | undefined> {
    const refusal = outsideRoot(uri, options);
    if (refusal) throw refusal;
    options?.signal?.throwIfAborted();
    const body = this.objects.get(uri)?.body;
    if (body && options?.maxBytes !== undefined && body.byteLength > options.maxBytes) throw sizeCapError(uri, body.byteLength, options.maxBytes);
    return body;
  }

  async delete(uris: readonly string[], options?: ConfinedAccess): Promise<DeleteOutcome> {
    const refused: DeleteOutcome['refused'] = [];
    for (const uri of uris) {
      const refusal = outsideRoot(uri, options);
      if (refusal) refused.push({ uri, reason: refusal.reason });
      else this.objects.delete(uri);
    }
    return { refused };
  }

  /** Keys are flat: there are no directories to make. */
  async ensureDirectory(uri: string, options?: ConfinedAccess): Promise<void> {
    const refusal = outsideRoot(uri, options);
    if (refusal) throw refusal;
  }

  /** Like the real stores, a prefix names a directory: `…/t` lists `…/t/x`, not `…/t2/x`. */
  async *list(prefix: string): AsyncIterable<StoredObject> {
    const directory = prefix.endsWith('/') ? prefix : `${prefix}/`;
    for (const [uri, { body, lastModified }] of this.objects) {
      if (uri.startsWith(directory)) yield { uri, size: body.byteLength, lastModified };
    }
  }
}

// Object storage, addressed by absolute URIs (file://, s3://, memory://). The catalog only
// writes immutable files and reads them back; deletion belongs to the garbage collector.
export interface StoredObject {
  uri: string;
  size: number;
  lastModified: Date;
}

export interface ObjectStore {
  /** Writes a whole object; writers never overwrite (every metadata file name is new). */
  put(uri: string, body: Uint8Array | string): Promise<void>;
  /** The object's bytes, or undefined when it does not exist. */
  get(uri: string): Promise<Uint8Array | undefined>;
  /** Deletes objects; an object already gone is not an error. */
  delete(uris: readonly string[]): Promise<void>;
  /** Every object whose URI starts with `prefix`. */
  list(prefix: string): AsyncIterable<StoredObject>;
}

/** Picks the store by URI scheme, so one catalog can read a registered file:// table and write s3://. */
export class ObjectStoreRouter implements ObjectStore {
  constructor(private readonly byScheme: Record<string, ObjectStore>) {}

  private storeFor(uri: string): ObjectStore {
    const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(uri)?.[1]?.toLowerCase();
    const normalized = scheme === 's3a' || scheme === 's3n' ? 's3' : scheme;
    const store = normalized ? this.byScheme[normalized] : undefined;
    if (!store) throw new UnsupportedLocationError(uri);
    return store;
  }

  put(uri: string, body: Uint8Array | string) {
    return this.storeFor(uri).put(uri, body);
  }

  get(uri: string) {
    return this.storeFor(uri).get(uri);
  }

  async delete(uris: readonly string[]) {
    const groups = new Map<ObjectStore, string[]>();
    for (const uri of uris) {
      const store = this.storeFor(uri);
      const group = groups.get(store);
      if (group) group.push(uri);
      else groups.set(store, [uri]);
    }
    for (const [store, group] of groups) await store.delete(group);
  }

  list(prefix: string) {
    return this.storeFor(prefix).list(prefix);
  }
}

export class UnsupportedLocationError extends Error {
  constructor(readonly uri: string) {
    super(`No object store is configured for ${uri}`);
  }
}

// Maps the REST prefix (a warehouse name) to the warehouse row. Warehouses change rarely
// and every request needs one, so found ones are cached briefly per replica.
import type { Db } from '../db/database.js';
import { findWarehouseByLocation, findWarehouseByName, type Warehouse } from '../db/warehouse-repository.js';
import { noSuchWarehouse } from '../iceberg/errors.js';

const CACHE_MS = 10_000;

export class WarehouseResolver {
  private readonly cache = new Map<string, { warehouse: Warehouse; until: number }>();

  constructor(
    private readonly db: Db,
    readonly defaultName: string,
  ) {}

  async byPrefix(prefix: string): Promise<Warehouse> {
    const hit = this.cache.get(prefix);
    if (hit && hit.until > Date.now()) return hit.warehouse;
    const warehouse = await findWarehouseByName(this.db, prefix);
    if (!warehouse) throw noSuchWarehouse(prefix);
    this.cache.set(prefix, { warehouse, until: Date.now() + CACHE_MS });
    return warehouse;
  }

  /** `warehouse` as a client passes it to /v1/config: a name, or the warehouse's location. */
  async forConfig(requested: string | undefined): Promise<Warehouse> {
    if (!requested) return this.byPrefix(this.defaultName);
    const byName = await findWarehouseByName(this.db, requested);
    if (byName) return byName;
    const byLocation = await findWarehouseByLocation(this.db, requested.replace(/\/+$/, ''));
    if (byLocation) return byLocation;
    throw noSuchWarehouse(requested);
  }
}

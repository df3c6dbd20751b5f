// set-properties and remove-properties (spec: SetPropertiesUpdate, RemovePropertiesUpdate),
// shared by table and view metadata. Each returns whether the properties changed.
import { badRequest } from './errors.js';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function setProperties(properties: Record<string, string>, updates: unknown): boolean {
  if (!isObject(updates)) throw badRequest('Invalid set-properties update: updates must be an object');
  let changed = false;
  for (const [key, value] of Object.entries(updates)) {
    if (typeof value !== 'string') throw badRequest(`Invalid set-properties update: value of ${key} must be a string`);
    if (!Object.hasOwn(properties, key) || properties[key] !== value) {
      // defineProperty, not assignment: a key such as __proto__ must be stored like any other.
      Object.defineProperty(properties, key, { value, enumerable: true, writable: true, configurable: true });
      changed = true;
    }
  }
  return changed;
}

export function removeProperties(properties: Record<string, string>, removals: unknown): boolean {
  if (!Array.isArray(removals)) throw badRequest('Invalid remove-properties update: removals must be an array');
  let changed = false;
  for (const key of removals) {
    if (typeof key !== 'string') throw badRequest('Invalid remove-properties update: keys must be strings');
    if (Object.hasOwn(properties, key)) {
      delete properties[key];
      changed = true;
    }
  }
  return changed;
}

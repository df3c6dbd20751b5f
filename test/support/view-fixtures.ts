// A view schema and version as engines send them in createView and replaceView.
export const viewSchema = { type: 'struct', 'schema-id': 3, fields: [{ id: 1, name: 'n', required: false, type: 'long' }] };

export function viewVersion(sql: string, defaultNamespace: string[], extra: Record<string, unknown> = {}) {
  return {
    'version-id': 1,
    'timestamp-ms': Date.now(),
    'schema-id': 3,
    summary: { 'engine-name': 'test' },
    representations: [{ type: 'sql', sql, dialect: 'spark' }],
    'default-namespace': defaultNamespace,
    ...extra,
  };
}

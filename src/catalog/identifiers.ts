// How namespaces and tables are named in messages: levels joined by dots, as engines print them.
export function namespaceName(levels: readonly string[]): string {
  return levels.join('.');
}

export function tableName(levels: readonly string[], name: string): string {
  return `${namespaceName(levels)}.${name}`;
}

export interface TableIdentifier {
  namespace: string[];
  name: string;
}

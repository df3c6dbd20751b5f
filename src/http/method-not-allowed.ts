// A request whose path matches a route but not its method gets 405 with an Allow header (RFC
// 9110 15.5.6), not 404: the resource exists. The router cannot say which methods a path has,
// so the route templates are collected as routes are added and matched here, segment by
// segment, only on the not-found path.
import type { FastifyInstance } from 'fastify';

interface Template {
  segments: (string | null)[]; // null: a parameter, which matches any one non-empty segment
  methods: Set<string>;
}

export class RouteMethods {
  private readonly templates = new Map<string, Template>();

  add(url: string, methods: string | string[]): void {
    let template = this.templates.get(url);
    if (!template) {
      template = { segments: url.split('/').map((s) => (s.startsWith(':') ? null : s)), methods: new Set() };
      this.templates.set(url, template);
    }
    for (const method of [methods].flat()) template.methods.add(method.toUpperCase());
  }

  /** The methods served for this path (no query string), empty when no route has the path. */
  allowed(path: string): string[] {
    const segments = path.split('/');
    const methods = new Set<string>();
    for (const template of this.templates.values()) {
      if (template.segments.length !== segments.length) continue;
      if (template.segments.every((s, i) => (s === null ? segments[i] !== '' : s === segments[i]))) {
        for (const method of template.methods) methods.add(method);
      }
    }
    return [...methods].sort();
  }
}

export function collectRouteMethods(app: FastifyInstance): RouteMethods {
  const routes = new RouteMethods();
  app.addHook('onRoute', (route) => routes.add(route.url, route.method));
  return routes;
}

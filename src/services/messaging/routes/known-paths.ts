/**
 * The MESH paths this plugin serves and the methods each takes, so a request with a method a known
 * path does not take is told 405 with `Allow` (as the MESH sandbox, a FastAPI app, answers it),
 * not 404 as if the path did not exist. A route's url is Fastify's pattern (`/:mailbox/inbox`): a
 * `:name` segment matches any one non-empty segment, anything else only itself.
 */
export interface KnownPaths {
  add(methods: string | string[], url: string): void;
  /** The methods some route takes at `path` (no query string), sorted; empty for an unknown path. */
  methodsAt(path: string): string[];
}

export function knownPaths(): KnownPaths {
  const routes: Array<{ segments: string[]; methods: Set<string> }> = [];
  const split = (path: string) => path.split('/').slice(1);
  return {
    add(methods, url) {
      const segments = split(url);
      const names = (Array.isArray(methods) ? methods : [methods]).map((m) => m.toUpperCase());
      const known = routes.find((r) => r.segments.join('/') === segments.join('/'));
      if (known) for (const m of names) known.methods.add(m);
      else routes.push({ segments, methods: new Set(names) });
    },
    methodsAt(path) {
      const segments = split(path);
      const allowed = new Set<string>();
      for (const route of routes) {
        if (route.segments.length !== segments.length) continue;
        const matches = route.segments.every((pattern, i) => (pattern.startsWith(':') ? segments[i] !== '' : pattern === segments[i]));
        if (matches) for (const m of route.methods) allowed.add(m);
      }
      return [...allowed].sort();
    },
  };
}

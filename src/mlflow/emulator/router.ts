import { unquote } from './artifacts/paths.js';
import { HtmlError, type ApiRequest, type ApiResponse, type Handler } from './http.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

interface Route {
  methods: Map<string, Handler>;
  /** Prefix routes take the rest of the path as `req.tail` (artifact paths, workspace names). */
  prefix: boolean;
}

/**
 * Flask's routing as MLflow registers it: each API path exists under `/api/<v>/…` and `/ajax-api/<v>/…`
 * (mlflow-workspaces-k8s-auth.md §4.1); an unknown path is Werkzeug's 404 page, a known path with another
 * method its 405 page (golden README, "Serialisation" 2).
 */
export class Router {
  readonly #exact = new Map<string, Route>();
  readonly #prefixes: Array<[string, Route]> = [];

  /** `path` is the full path without the `/api` or `/ajax-api` part, e.g. `/2.0/mlflow/runs/get`. */
  api(method: Method, path: string, handler: Handler): this {
    for (const root of ['/api', '/ajax-api']) this.#add(method, root + path, handler, false);
    return this;
  }

  apiPrefix(method: Method, path: string, handler: Handler): this {
    for (const root of ['/api', '/ajax-api']) this.#add(method, root + path, handler, true);
    return this;
  }

  plain(method: Method, path: string, handler: Handler): this {
    this.#add(method, path, handler, false);
    return this;
  }

  #add(method: string, path: string, handler: Handler, prefix: boolean): void {
    let route = prefix ? this.#prefixes.find(([p]) => p === path)?.[1] : this.#exact.get(path);
    if (!route) {
      route = { methods: new Map(), prefix };
      if (prefix) this.#prefixes.push([path, route]);
      else this.#exact.set(path, route);
    }
    route.methods.set(method, handler);
  }

  /** Finds the handler; throws the Werkzeug 404/405 the real server answers. */
  resolve(method: string, pathname: string): { handler: Handler; tail: string } {
    const exact = this.#exact.get(pathname);
    if (exact) return this.#pick(exact, method, '');
    for (const [prefix, route] of this.#prefixes) {
      if (pathname.startsWith(`${prefix}/`) && pathname.length > prefix.length + 1) {
        return this.#pick(route, method, unquote(pathname.slice(prefix.length + 1)));
      }
    }
    throw new HtmlError(404);
  }

  #pick(route: Route, method: string, tail: string): { handler: Handler; tail: string } {
    const handler = route.methods.get(method) ?? (method === 'HEAD' ? route.methods.get('GET') : undefined);
    if (!handler) throw new HtmlError(405);
    return { handler, tail };
  }
}

export type { ApiRequest, ApiResponse };

// What Go's net/http server does before any handler runs, for the lab's stand-ins of Go servers (oauth2-proxy,
// Dex, kube-apiserver). A request target `url.ParseRequestURI` refuses never reaches a handler: the server writes
// a bare 400 and closes the connection (net/http server.go `conn.serve`, "400 Bad Request").
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A `%` in the path that is not followed by two hex digits (`url.unescape` in encodePath mode); the query is kept raw. */
export function goRefusesRequestTarget(target: string): boolean {
  const percent = target.indexOf('%');
  if (percent < 0) return false;
  const query = target.indexOf('?');
  const path = query < 0 ? target : target.slice(0, query);
  return /%(?![0-9A-Fa-f]{2})/.test(path);
}

/** Go's raw answer, byte for byte: no Date, no length, the connection closed after it. */
const GO_BAD_REQUEST =
  'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request';

/**
 * Answers a request whose target Go would not parse, as Go does; true when it did (the caller stops there).
 * Written on the socket, as Go writes it: Node's response would add headers Go's has not.
 */
export function refuseAsGoDoes(req: IncomingMessage, res: ServerResponse): boolean {
  if (!goRefusesRequestTarget(req.url ?? '/')) return false;
  goBadRequest(res);
  return true;
}

/**
 * Go's bare 400 on the request's connection, which then closes. A pipelined request waits for the answers before
 * it and has no socket yet: it gets the same status and body through Node, with `Connection: close`.
 */
export function goBadRequest(res: ServerResponse): void {
  if (res.socket) return void res.socket.end(GO_BAD_REQUEST);
  res.shouldKeepAlive = false;
  res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 15 });
  res.end('400 Bad Request');
}

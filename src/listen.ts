import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type net from 'node:net';
import { AuthlabError } from './errors.js';

/** Binds the port; a busy port is a user error with a hint, not a stack trace. */
export async function listen(
  server: net.Server,
  host: string,
  port: number,
  what: string,
  flag: string,
): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') {
        reject(
          new AuthlabError('AUTHLAB_PORT_IN_USE', `${what} port ${port} on ${host} is already in use`, {
            cause: error,
            hint: `Stop whatever listens on ${host}:${port} (is another lab running? try "mlflow-authlab status"), or pass ${flag} 0 to pick a free port.`,
          }),
        );
      } else reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** The URL a listening server answers on: its scheme, bound address (IPv6 in brackets) and port, path `/`. */
export function serverUrl(server: http.Server): URL {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return new URL(`${server instanceof https.Server ? 'https' : 'http'}://${host}:${address.port}/`);
}

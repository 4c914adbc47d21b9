import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { listen } from '../../listen.js';

/**
 * Binds the port for a moment: a busy port fails here with the lab's usual hint, and 0 becomes a free port, for a
 * server that binds it itself a moment later (a local MLflow process, or a container on the host's network).
 */
export async function reservePort(host: string, port: number): Promise<number> {
  const server = http.createServer();
  await listen(server, host, port, 'MLflow', '--mlflow-port');
  const { port: bound } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return bound;
}

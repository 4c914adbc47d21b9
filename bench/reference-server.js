// The reference for the whole-process figures: oauth2-mock-server started the way its README shows, printing one
// JSON line once it listens, as `mlflow-authlab up --json` does, so both processes are timed by the same rule.
import { OAuth2Server } from 'oauth2-mock-server';

const server = new OAuth2Server();
// Handlers first: the bench may send SIGTERM the moment the ready line arrives.
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

await server.issuer.keys.generate('RS256');
await server.start(0, '127.0.0.1');

// The issuer URL it builds says "localhost", which may resolve to ::1 first; the load generator must reach the
// address the server actually bound.
const { port } = server.address();
const base = `http://127.0.0.1:${port}`;
process.stdout.write(
  `${JSON.stringify({ issuer: server.issuer.url, tokenEndpoint: `${base}/token`, pid: process.pid })}\n`,
);

// The practical limit: a minimal node:http server that answers every request with the same 201 JSON
// body livelink's link POST answers. Plain Node ESM, not TypeScript through tsx, so that its start-up
// time is Node's own and nothing else.
// Usage: node bench/baseline-server.mjs [port]   (prints "baseline listening on http://127.0.0.1:PORT")
import { createServer } from 'node:http';
import { Buffer } from 'node:buffer';
import process from 'node:process';

// Allocated once: a constant answer must not cost an allocation per request.
const BODY = Buffer.from('{"status":"SYNCED"}');
const HEADERS = { 'content-type': 'application/json', 'content-length': String(BODY.length) };

const server = createServer((request, response) => {
  // Read (and drop) any request body so the keep-alive connection stays usable.
  request.resume();
  response.writeHead(201, HEADERS);
  response.end(BODY);
});
server.keepAliveTimeout = 65_000;

server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`baseline listening on http://127.0.0.1:${port}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    // Idle keep-alive connections would otherwise hold close() open for keepAliveTimeout.
    server.closeAllConnections();
  });
}

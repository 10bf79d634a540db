// The floor the targets are set against: a Fastify server with nothing but a digest check (MD5,
// qop=auth, one hard-wired key, HMAC-signed nonces, nc counting up per nonce) in front of the same
// 201 JSON body the baseline answers. Everything livelink does beyond this is its own cost.
// Usage: node bench/reference-fastify-digest.mjs PUBLIC_KEY PRIVATE_KEY [port]
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Buffer } from 'node:buffer';
import process from 'node:process';
import Fastify from 'fastify';

const [publicKey, privateKey, port] = process.argv.slice(2);
const REALM = 'MMS Public API';
const md5 = (text) => createHash('md5').update(text).digest('hex');
const HA1 = md5(`${publicKey}:${REALM}:${privateKey}`);
const NONCE_KEY = randomBytes(32);
const lastCount = new Map();

function mintNonce() {
  const stamp = Date.now().toString(36) + randomBytes(6).toString('hex');
  return stamp + createHmac('sha256', NONCE_KEY).update(stamp).digest('hex').slice(0, 32);
}
function nonceValid(nonce) {
  const stamp = nonce.slice(0, -32);
  const mac = Buffer.from(nonce.slice(-32));
  const expected = Buffer.from(createHmac('sha256', NONCE_KEY).update(stamp).digest('hex').slice(0, 32));
  return mac.length === expected.length && timingSafeEqual(mac, expected);
}
function parse(header) {
  const fields = {};
  for (const match of header.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) fields[match[1]] = match[2] ?? match[3];
  return fields;
}
function challenge(reply) {
  reply
    .code(401)
    .header('www-authenticate', `Digest realm="${REALM}", domain="", nonce="${mintNonce()}", algorithm=MD5, qop="auth", stale=false`);
  return reply.send({ error: 401, reason: 'Unauthorized' });
}

const app = Fastify({ logger: false });
app.addHook('onRequest', async (request, reply) => {
  const header = request.headers.authorization;
  if (header === undefined || !header.startsWith('Digest ')) return challenge(reply);
  const f = parse(header);
  if (f.username !== publicKey || !nonceValid(f.nonce ?? '')) return challenge(reply);
  const nc = Number.parseInt(f.nc ?? '', 16);
  if (!(nc > (lastCount.get(f.nonce) ?? 0))) return challenge(reply);
  const expected = md5(`${HA1}:${f.nonce}:${f.nc}:${f.cnonce}:auth:${md5(`${request.method}:${f.uri}`)}`);
  if (expected !== f.response) return challenge(reply);
  lastCount.set(f.nonce, nc);
});
app.get('/*', async (_request, reply) => reply.code(200).send({ status: 'SYNCED' }));
await app.listen({ port: Number(port ?? 0), host: '127.0.0.1' });
process.stdout.write(`reference listening on http://127.0.0.1:${app.server.address().port}\n`);
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => app.close().then(() => process.exit(0)));

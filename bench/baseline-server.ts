/**
 * The baseline: a minimal Fastify server answering every GET with one static HTML string of a given
 * byte size (argv[2], the product page's size) and the shop's content-type. No plugins, no logging.
 * Prints `{"bench":"ready","url":…,"pid":…}` on stdout once listening; stops on SIGTERM/SIGINT or
 * when its stdin closes.
 */
import Fastify from 'fastify';

const size = Number(process.argv[2] ?? '0');
if (!Number.isInteger(size) || size < 64) {
  console.error(`baseline-server: expected a body size in bytes (>= 64), got ${process.argv[2] ?? '(none)'}`);
  process.exit(2);
}

/** An ASCII HTML document of exactly `bytes` bytes. */
function htmlOfSize(bytes: number): string {
  const head = '<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>baseline</title></head><body><p>';
  const tail = '</p></body></html>';
  const filler = 'Mamori baseline page. '.repeat(Math.ceil(bytes / 22));
  const body = head + filler.slice(0, bytes - head.length - tail.length) + tail;
  if (Buffer.byteLength(body) !== bytes) throw new Error('baseline body size mismatch');
  return body;
}

const body = htmlOfSize(size);
const app = Fastify({ logger: false });
app.get('/*', async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body));
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await app.close().catch(() => undefined);
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.on('error', () => void stop());
process.stdin.resume();

process.stdout.write(`${JSON.stringify({ bench: 'ready', url: `http://127.0.0.1:${port}`, pid: process.pid, bytes: Buffer.byteLength(body) })}\n`);

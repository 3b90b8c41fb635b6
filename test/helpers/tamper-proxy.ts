import { createServer, type IncomingMessage, type Server } from 'node:http';

/**
 * An attacker between the shop and its buyers (a compromised reverse proxy or CDN): a pass-through
 * HTTP proxy whose responses can be rewritten. The monitor tests and `npm run drills` walk the shop
 * through it, so the monitor sees exactly what a buyer would.
 */

export interface Tamper {
  /** Rewrites the HTML of a page (by path). */
  html?: (path: string, html: string) => string;
  /** Drops these response headers on these paths. */
  dropHeaders?: (path: string) => string[];
  /** Rewrites a redirect target. */
  location?: (path: string, location: string) => string;
  /** Answers a path itself (a page the attacker adds). */
  serve?: (path: string) => { status: number; type: string; body: string } | null;
}

/** A pass-through proxy to `target` whose responses can be tampered with (`tamper`, settable). */
export async function startTamperProxy(target: string): Promise<{ url: string; tamper: Tamper; close(): Promise<void> }> {
  const state: { tamper: Tamper } = { tamper: {} };
  const readBody = (req: IncomingMessage) => new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const own = state.tamper.serve?.(path);
      if (own) {
        res.writeHead(own.status, { 'content-type': own.type }).end(own.body);
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === 'string' && !['host', 'connection', 'accept-encoding', 'content-length'].includes(k)) headers[k] = v;
      }
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
      const upstream = await fetch(`${target}${req.url ?? '/'}`, { method: req.method, headers, body: body ? new Uint8Array(body) : undefined, redirect: 'manual' });
      let buf = Buffer.from(await upstream.arrayBuffer());
      const drop = new Set(['content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive', 'set-cookie', ...(state.tamper.dropHeaders?.(path) ?? [])]);
      const out: Record<string, string | string[]> = {};
      upstream.headers.forEach((v, k) => {
        if (!drop.has(k)) out[k] = v;
      });
      const cookies = upstream.headers.getSetCookie();
      if (cookies.length) out['set-cookie'] = cookies;
      if (typeof out.location === 'string' && state.tamper.location) out.location = state.tamper.location(path, out.location);
      if (state.tamper.html && String(out['content-type'] ?? '').startsWith('text/html')) buf = Buffer.from(state.tamper.html(path, buf.toString('utf8')));
      res.writeHead(upstream.status, out);
      res.end(buf);
    })().catch((err: unknown) => {
      res.writeHead(502).end(String(err));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    get tamper() {
      return state.tamper;
    },
    set tamper(t: Tamper) {
      state.tamper = t;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

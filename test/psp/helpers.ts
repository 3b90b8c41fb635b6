import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPsp, type PspHandle, type PspOptions } from '../../psp/server.js';
import type { CreateSessionInput, ProviderPayment } from '../../src/payments/provider.js';
import { SandboxProvider } from '../../src/payments/providers/sandbox.js';

export const API_KEY = 'sk_sandbox_test_0123456789abcdef';
export const WEBHOOK_SECRET = 'whsec_test_0123456789abcdef';
/** Nothing listens here: deliveries fail fast (tests that do not look at webhooks). */
export const DEAD_WEBHOOK_URL = 'http://127.0.0.1:9/webhooks/psp';

export interface TestPsp {
  psp: PspHandle;
  dir: string;
  client: SandboxProvider;
  /** Every log line the PSP wrote. */
  logs: string[];
  close(): Promise<void>;
}

export async function startTestPsp(extra: Partial<PspOptions> = {}): Promise<TestPsp> {
  const dir = mkdtempSync(join(tmpdir(), 'mamori-psp-test-'));
  const logs: string[] = [];
  const psp = await startPsp({
    host: '127.0.0.1',
    port: 0,
    dataDir: dir,
    apiKey: API_KEY,
    webhookSecret: WEBHOOK_SECRET,
    logLevel: 'trace',
    logStream: { write: (line: string) => void logs.push(line) },
    webhookRetryBaseMs: 20,
    timeoutDelayMs: 200,
    ...extra,
  });
  const client = new SandboxProvider({ apiUrl: psp.url, publicOrigin: psp.publicUrl, apiKey: API_KEY, webhookSecret: WEBHOOK_SECRET });
  return {
    psp,
    dir,
    client,
    logs,
    async close() {
      await psp.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let counter = 0;

export function sessionInput(overrides: Partial<CreateSessionInput> = {}): CreateSessionInput {
  counter += 1;
  return {
    orderReference: `ord_TEST${counter}`,
    orderNumber: `M-2024-${String(counter).padStart(5, '0')}`,
    amountYen: 12_800,
    currency: 'JPY',
    idempotencyKey: `idem-${process.pid}-${counter}-${Date.now()}`,
    returnUrl: 'http://shop.test:3000/checkout/return?step=pay',
    cancelUrl: 'http://shop.test:3000/cart',
    webhookUrl: DEAD_WEBHOOK_URL,
    description: '煎茶 100g ほか 2点',
    customerEmail: 'buyer@example.jp',
    expiresAt: new Date(Date.now() + 30 * 60 * 1000),
    ...overrides,
  };
}

export interface CardFields {
  cardNumber: string;
  expiry?: string;
  cvc?: string;
  name?: string;
}

/** Posts a form like a browser would, without following redirects. */
export function postForm(url: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

export function payWith(redirectUrl: string, card: CardFields): Promise<Response> {
  return postForm(redirectUrl, {
    cardNumber: card.cardNumber,
    expiry: card.expiry ?? '12/34',
    cvc: card.cvc ?? (card.cardNumber.startsWith('37') || card.cardNumber.startsWith('34') ? '1234' : '123'),
    name: card.name ?? 'TARO YAMADA',
  });
}

export async function apiGet(t: TestPsp, path: string): Promise<Response> {
  return fetch(`${t.psp.url}${path}`, { headers: { authorization: `Bearer ${API_KEY}` } });
}

export async function apiPost(t: TestPsp, path: string, body: unknown, apiKey: string = API_KEY): Promise<Response> {
  return fetch(`${t.psp.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export interface PaymentHistory {
  attempts: { attemptId: string; state: string; brand: string; last4: string; threeDs: string | null; failureCode: string | null }[];
  events: { eventId: string; type: string; delivery: { state: string; attempts: number; lastStatus: number | null } | null }[];
}

export async function history(t: TestPsp, id: string): Promise<PaymentHistory> {
  const res = await apiGet(t, `/v1/payments/${id}/events`);
  if (!res.ok) throw new Error(`history: ${res.status}`);
  return (await res.json()) as PaymentHistory;
}

/** Creates a session and pays it with a success card; returns the paid payment. */
export async function paidPayment(t: TestPsp, input: Partial<CreateSessionInput> = {}): Promise<ProviderPayment> {
  const session = await t.client.createSession(sessionInput(input));
  const res = await payWith(session.redirectUrl, { cardNumber: '4242424242424242' });
  if (res.status !== 303) throw new Error(`paying failed: ${res.status}`);
  return t.client.fetchPayment(session.providerPaymentId);
}

export async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/** A tiny HTTP server standing in for the shop's webhook endpoint. */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** Status to answer for the n-th request (0-based); default 200; 0 never answers. */
  respond: (n: number, body: string) => number = () => 200;
  private server: Server | null = null;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const status = this.respond(this.received.length, body);
        this.received.push({ headers: req.headers, body, status });
        if (status === 0) return; // hang until the client gives up
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${address.port}/webhooks/psp`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

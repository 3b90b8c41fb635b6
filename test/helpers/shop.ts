import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPsp, type PspHandle } from '../../psp/server.js';
import { loadConfig, type Config } from '../../src/app/config.js';
import { startShop, type RunningShop } from '../../src/app/main.js';

export type Dialect = 'sqlite' | 'postgres';

export const PG_URL = process.env.TEST_DATABASE_URL;

/** The databases the data-layer tests run on: SQLite always, PostgreSQL when TEST_DATABASE_URL is set. */
export const DIALECTS: { dialect: Dialect; skip: string | false }[] = [
  { dialect: 'sqlite', skip: false },
  { dialect: 'postgres', skip: PG_URL ? false : 'TEST_DATABASE_URL not set' },
];

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** A fresh PostgreSQL schema for one test shop; dropped by the returned function. */
export async function freshPgSchema(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!PG_URL) throw new Error('TEST_DATABASE_URL not set');
  const schema = `mamori_t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    url,
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}

export interface TestShop {
  url: string;
  pspUrl: string;
  shop: RunningShop;
  psp: PspHandle;
  config: Config;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * A real shop (HTTP on a free port) with its own data directory, the sandbox provider on its own
 * port, and SQLite or a fresh PostgreSQL schema. Workers are off unless asked for.
 */
export async function startTestShop(opts: { dialect?: Dialect; workers?: boolean; seedDemo?: boolean; env?: Record<string, string>; publicUrl?: string } = {}): Promise<TestShop> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mamori-test-'));
  const pgSchema = opts.dialect === 'postgres' ? await freshPgSchema() : null;
  const secrets = { cookieSecret: 'test-cookie-secret-0123456789abcdefghijkl', pspApiKey: 'sk_sandbox_test_0123456789abcdef', pspWebhookSecret: 'whsec_test_0123456789abcdef' };
  const psp = await startPsp({
    host: '127.0.0.1', port: 0, dataDir, apiKey: secrets.pspApiKey, webhookSecret: secrets.pspWebhookSecret,
    logLevel: 'silent', webhookRetryBaseMs: 50, timeoutDelayMs: 300,
  });
  const port = await freePort();
  const config = loadConfig(
    { NODE_ENV: 'test', LOG_LEVEL: 'silent', CARD_ATTEMPTS_PER_IP: '1000', ...opts.env },
    {
      port,
      host: '127.0.0.1',
      // A TLS front in front of the shop (e2e) gives its own https URL.
      publicUrl: opts.publicUrl ?? `http://127.0.0.1:${port}`,
      dataDir,
      databaseUrl: pgSchema?.url ?? null,
      secrets,
      psp: { port: 0, publicUrl: psp.publicUrl, apiUrl: psp.url },
      workers: opts.workers ?? false,
    },
  );
  const shop = await startShop(config, { seedDemo: opts.seedDemo ?? true });
  return {
    url: `http://127.0.0.1:${port}`,
    pspUrl: psp.url,
    shop,
    psp,
    config,
    dataDir,
    async close() {
      await shop.stop();
      await psp.close();
      await pgSchema?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The environment for running the CLI (`node bin/mamori.js …`) against a test shop. */
export function cliEnv(shop: TestShop): NodeJS.ProcessEnv {
  return {
    ...process.env, MAMORI_DATA_DIR: shop.dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test', PUBLIC_URL: shop.url, PSP_PUBLIC_URL: shop.pspUrl,
    MAMORI_COOKIE_SECRET: shop.config.secrets.cookieSecret, PSP_API_KEY: shop.config.secrets.pspApiKey, PSP_WEBHOOK_SECRET: shop.config.secrets.pspWebhookSecret,
    ...(shop.config.databaseUrl ? { DATABASE_URL: shop.config.databaseUrl } : {}),
  };
}

import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { loadIntegrityConfig, type IntegrityConfig } from '../integrity/config.js';
import { loadMonitorConfig, type MonitorConfig } from '../integrity/monitor/config.js';

/**
 * The one configuration object, read once at start from the environment.
 * Secrets never come from the repository: they come from the environment, or a first start
 * generates them under the data directory with 0600 permissions.
 */
export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  /** Public base URL of the shop, used in mails and provider return URLs. */
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | null;
  smtpUrl: string | null;
  mailFrom: string;
  /** MAIL_LEASE_SECONDS: how long a shop process holds a claimed outbox mail; after a crash another process sends it once this has passed. */
  mailLeaseSeconds: number;
  /** Behind TLS (https public URL): Secure cookies and HSTS. */
  secureCookies: boolean;
  secrets: Secrets;
  psp: { port: number; publicUrl: string; apiUrl: string };
  paymentProvider: 'sandbox' | 'stripe';
  /** Stripe credentials (secrets: from the environment only). */
  stripe: { secretKey: string; webhookSecret: string } | null;
  logLevel: string;
  /** Background workers (outbox, reconciliation) run in this process. */
  workers: boolean;
  admin: {
    /** Path prefix of the admin console. */
    path: string;
    /** CIDR allow-list for the admin console; empty = any address. */
    allowCidrs: string[];
    idleMinutes: number;
    maxFailedLogins: number;
  };
  integrity: IntegrityConfig;
  /**
   * Where the master key comes from (src/privacy/keys.ts): MAMORI_MASTER_KEY (base64 of 32 bytes)
   * or MAMORI_MASTER_KEY_FILE; otherwise a first start generates <dataDir>/keys/master.key (0600).
   */
  masterKey: { value: string | null; file: string | null };
  /** Incident notices: e-mails per second handed to the mail server, letters per printed batch. */
  notices: { mailsPerSecond: number; lettersPerBatch: number };
  /** The external headless-browser monitor (Layer 3 of issue #5). */
  monitor: MonitorConfig;
  /** Card-testing defences (see docs/payments.md). */
  cardLimits: { windowMinutes: number; perIp: number; perSession: number; perEmail: number; declineBurst: { count: number; minutes: number } };
}

export interface Secrets {
  /** HMAC key for cookies and CSRF tokens. */
  cookieSecret: string;
  /** API key the shop uses with the sandbox payment provider. */
  pspApiKey: string;
  /** Shared secret for sandbox provider webhook signatures. */
  pspWebhookSecret: string;
}

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_URL: z.string().url().optional(),
  MAMORI_DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// URL').optional(),
  MAMORI_MASTER_KEY: z.string().regex(/^[A-Za-z0-9+/_-]{43}=?$/, 'MAMORI_MASTER_KEY must be 32 bytes in base64').optional(),
  MAMORI_MASTER_KEY_FILE: z.string().optional(),
  NOTICE_MAILS_PER_SECOND: z.coerce.number().int().min(1).max(100_000).default(20),
  NOTICE_LETTERS_PER_BATCH: z.coerce.number().int().min(1).max(100_000).default(500),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'SMTP_URL must be smtp:// or smtps://').optional(),
  MAIL_FROM: z.string().default('Mamori <shop@localhost>'),
  MAIL_LEASE_SECONDS: z.coerce.number().int().min(15).max(3600).default(60),
  PSP_PORT: z.coerce.number().int().min(0).max(65535).default(3100),
  PSP_PUBLIC_URL: z.string().url().optional(),
  PAYMENT_PROVIDER: z.enum(['sandbox', 'stripe']).default('sandbox'),
  STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(test|live)_/, 'STRIPE_SECRET_KEY must be a secret key (sk_… or rk_…)').optional(),
  STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_/, 'STRIPE_WEBHOOK_SECRET must start with whsec_').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  MAMORI_WORKERS: z.enum(['0', '1']).default('1'),
  ADMIN_PATH: z.string().regex(/^\/[a-z0-9][a-z0-9_-]{0,40}$/, 'ADMIN_PATH must look like /admin').default('/admin'),
  ADMIN_ALLOW_CIDRS: z.string().default(''),
  ADMIN_IDLE_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(30),
  ADMIN_MAX_FAILED_LOGINS: z.coerce.number().int().min(1).max(10).default(10),
  CARD_ATTEMPTS_WINDOW_MINUTES: z.coerce.number().int().min(1).max(1440).default(60),
  CARD_ATTEMPTS_PER_IP: z.coerce.number().int().min(1).default(20),
  CARD_ATTEMPTS_PER_SESSION: z.coerce.number().int().min(1).default(5),
  CARD_ATTEMPTS_PER_EMAIL: z.coerce.number().int().min(1).default(5),
  CARD_DECLINE_BURST: z.coerce.number().int().min(1).default(10),
  CARD_DECLINE_BURST_MINUTES: z.coerce.number().int().min(1).default(5),
  MAMORI_COOKIE_SECRET: z.string().min(32).optional(),
  PSP_API_KEY: z.string().min(16).optional(),
  PSP_WEBHOOK_SECRET: z.string().min(16).optional(),
});

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid configuration:\n${lines}`);
  }
  const e = parsed.data;
  const dataDir = resolve(overrides.dataDir ?? e.MAMORI_DATA_DIR);
  const port = overrides.port ?? e.PORT;
  const publicUrl = (overrides.publicUrl ?? e.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/$/, '');
  const pspPort = overrides.psp?.port ?? e.PSP_PORT;
  const pspPublic = (e.PSP_PUBLIC_URL ?? `http://127.0.0.1:${pspPort}`).replace(/\/$/, '');
  const secrets = overrides.secrets ?? loadSecrets(dataDir, {
    cookieSecret: e.MAMORI_COOKIE_SECRET,
    pspApiKey: e.PSP_API_KEY,
    pspWebhookSecret: e.PSP_WEBHOOK_SECRET,
  });
  return {
    env: e.NODE_ENV,
    port,
    host: e.HOST,
    publicUrl,
    dataDir,
    databaseUrl: e.DATABASE_URL ?? null,
    smtpUrl: e.SMTP_URL ?? null,
    mailFrom: e.MAIL_FROM,
    mailLeaseSeconds: e.MAIL_LEASE_SECONDS,
    secureCookies: publicUrl.startsWith('https://'),
    secrets,
    psp: { port: pspPort, publicUrl: pspPublic, apiUrl: pspPublic },
    paymentProvider: e.PAYMENT_PROVIDER,
    stripe: e.STRIPE_SECRET_KEY && e.STRIPE_WEBHOOK_SECRET ? { secretKey: e.STRIPE_SECRET_KEY, webhookSecret: e.STRIPE_WEBHOOK_SECRET } : null,
    logLevel: e.LOG_LEVEL ?? (e.NODE_ENV === 'test' ? 'silent' : 'info'),
    workers: e.MAMORI_WORKERS === '1',
    admin: {
      path: e.ADMIN_PATH,
      allowCidrs: e.ADMIN_ALLOW_CIDRS.split(',').map((c) => c.trim()).filter(Boolean),
      idleMinutes: e.ADMIN_IDLE_MINUTES,
      maxFailedLogins: e.ADMIN_MAX_FAILED_LOGINS,
    },
    integrity: loadIntegrityConfig(env),
    notices: { mailsPerSecond: e.NOTICE_MAILS_PER_SECOND, lettersPerBatch: e.NOTICE_LETTERS_PER_BATCH },
    masterKey: { value: e.MAMORI_MASTER_KEY ?? null, file: e.MAMORI_MASTER_KEY_FILE ? resolve(e.MAMORI_MASTER_KEY_FILE) : null },
    monitor: loadMonitorConfig(env),
    cardLimits: {
      windowMinutes: e.CARD_ATTEMPTS_WINDOW_MINUTES,
      perIp: e.CARD_ATTEMPTS_PER_IP,
      perSession: e.CARD_ATTEMPTS_PER_SESSION,
      perEmail: e.CARD_ATTEMPTS_PER_EMAIL,
      declineBurst: { count: e.CARD_DECLINE_BURST, minutes: e.CARD_DECLINE_BURST_MINUTES },
    },
    ...overrides,
  };
}

/** Reads generated secrets from `<dataDir>/secrets.json`, creating it (0600) on first start. */
export function loadSecrets(dataDir: string, fromEnv: Partial<Record<keyof Secrets, string | undefined>>): Secrets {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, 'secrets.json');
  let stored: Partial<Secrets> = {};
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<Secrets>;
  const gen = () => randomBytes(32).toString('base64url');
  const merged: Secrets = {
    cookieSecret: stored.cookieSecret ?? gen(),
    pspApiKey: stored.pspApiKey ?? `sk_sandbox_${gen()}`,
    pspWebhookSecret: stored.pspWebhookSecret ?? `whsec_${gen()}`,
  };
  if (!existsSync(file) || Object.keys(stored).length !== Object.keys(merged).length) {
    writeFileSync(file, JSON.stringify(merged, null, 2), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return {
    cookieSecret: fromEnv.cookieSecret ?? merged.cookieSecret,
    pspApiKey: fromEnv.pspApiKey ?? merged.pspApiKey,
    pspWebhookSecret: fromEnv.pspWebhookSecret ?? merged.pspWebhookSecret,
  };
}

import { z } from 'zod';

/** The monitor's settings, from the environment (see docs/integrity.md, Layer 3). */
export interface MonitorConfig {
  /** `npm start` also runs the monitor (MONITOR=0 turns it off; off by default under NODE_ENV=test). */
  enabled: boolean;
  intervalSeconds: number;
  /** MONITOR_TOKEN: the monitor's credential. Without it the shop derives one from its secret. */
  token: string | null;
  /** MONITOR_SHOP_URL: the shop to walk (default: PUBLIC_URL). */
  shopUrl: string | null;
  /** MONITOR_PRODUCT_PATH: the product page to start from (default: the first product listed). */
  productPath: string | null;
  chromiumPath: string;
}

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  MONITOR: z.enum(['0', '1']).optional(),
  MONITOR_INTERVAL_SECONDS: z.coerce.number().int().min(2).max(86_400).default(60),
  MONITOR_TOKEN: z.string().min(32, 'MONITOR_TOKEN must be at least 32 characters').max(200).regex(/^[\x21-\x7e]+$/, 'MONITOR_TOKEN must be printable ASCII without spaces').optional(),
  MONITOR_SHOP_URL: z.string().regex(/^https?:\/\/[^\s/]+/, 'MONITOR_SHOP_URL must be an http(s) URL').optional(),
  MONITOR_PRODUCT_PATH: z.string().regex(/^\/products\/[^\s/?#]+$/, 'MONITOR_PRODUCT_PATH must look like /products/slug').optional(),
  CHROMIUM_PATH: z.string().min(1).default('/usr/bin/chromium'),
});

export function loadMonitorConfig(env: NodeJS.ProcessEnv = process.env): MonitorConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  const e = parsed.data;
  return {
    enabled: e.MONITOR ? e.MONITOR === '1' : e.NODE_ENV !== 'test',
    intervalSeconds: e.MONITOR_INTERVAL_SECONDS,
    token: e.MONITOR_TOKEN ?? null,
    shopUrl: e.MONITOR_SHOP_URL?.replace(/\/$/, '') ?? null,
    productPath: e.MONITOR_PRODUCT_PATH ?? null,
    chromiumPath: e.CHROMIUM_PATH,
  };
}

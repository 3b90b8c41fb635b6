import { z } from 'zod';
import { DEFAULT_PUBLIC_KEY_FILE } from './startup.js';

/** The integrity layer's settings, from the environment (see docs/integrity.md). */
export interface IntegrityConfig {
  /** Start-up verification, file watcher, settings fingerprint, alert response. Always on in production. */
  enabled: boolean;
  /** MAMORI_RELEASE_PUBLIC_KEY_FILE: relative paths are taken from the project root. */
  releasePublicKeyFile: string;
  /** MAMORI_RELEASE_KEY_FINGERPRINT (`SHA256:…`): when set, the key file must be this key. */
  releaseKeyFingerprint: string | null;
  /** Full re-hash period of the file watcher. */
  rehashSeconds: number;
  /** Period of the settings fingerprint check. */
  settingsCheckSeconds: number;
  /** ALERT_WEBHOOK_URL: Slack-compatible incoming webhook (a secret). */
  webhookUrl: string | null;
  /** Distinct sources of PAN-tripwire / payment-path CSP alerts that suspend card payments… */
  tripwireSources: number;
  /** …within this many minutes. */
  tripwireWindowMinutes: number;
}

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  MAMORI_INTEGRITY: z.enum(['on', 'off']).optional(),
  MAMORI_RELEASE_PUBLIC_KEY_FILE: z.string().min(1).default(DEFAULT_PUBLIC_KEY_FILE),
  MAMORI_RELEASE_KEY_FINGERPRINT: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'MAMORI_RELEASE_KEY_FINGERPRINT must look like SHA256:… (printed by release keygen)').optional(),
  MAMORI_INTEGRITY_REHASH_SECONDS: z.coerce.number().int().min(5).max(86_400).default(60),
  MAMORI_SETTINGS_CHECK_SECONDS: z.coerce.number().int().min(1).max(3600).default(2),
  ALERT_WEBHOOK_URL: z.string().regex(/^https?:\/\/[^\s]+$/, 'ALERT_WEBHOOK_URL must be an http(s) URL').optional(),
  MAMORI_TRIPWIRE_SUSPEND_SOURCES: z.coerce.number().int().min(1).max(1000).default(3),
  MAMORI_TRIPWIRE_WINDOW_MINUTES: z.coerce.number().int().min(1).max(1440).default(15),
});

/**
 * Reads the integrity settings. Off by default under NODE_ENV=test (test shops start by the dozen);
 * in production MAMORI_INTEGRITY=off is refused: a shop that takes cards does not run unwatched.
 */
export function loadIntegrityConfig(env: NodeJS.ProcessEnv = process.env): IntegrityConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production' && e.MAMORI_INTEGRITY === 'off') {
    throw new Error('Invalid configuration:\n  MAMORI_INTEGRITY: cannot be off in production');
  }
  return {
    enabled: e.MAMORI_INTEGRITY ? e.MAMORI_INTEGRITY === 'on' : e.NODE_ENV !== 'test',
    releasePublicKeyFile: e.MAMORI_RELEASE_PUBLIC_KEY_FILE,
    releaseKeyFingerprint: e.MAMORI_RELEASE_KEY_FINGERPRINT ?? null,
    rehashSeconds: e.MAMORI_INTEGRITY_REHASH_SECONDS,
    settingsCheckSeconds: e.MAMORI_SETTINGS_CHECK_SECONDS,
    webhookUrl: e.ALERT_WEBHOOK_URL ?? null,
    tripwireSources: e.MAMORI_TRIPWIRE_SUSPEND_SOURCES,
    tripwireWindowMinutes: e.MAMORI_TRIPWIRE_WINDOW_MINUTES,
  };
}

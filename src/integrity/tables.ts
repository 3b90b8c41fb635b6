import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { DbOrTx } from '../db/index.js';

/**
 * The settings fingerprint after each audited change (append-only: the latest row is what the
 * settings must look like). `mac` is an HMAC with a key derived from the shop's secret, so a row
 * written straight into the database (with a matching fingerprint) is not believed.
 */
export interface IntegrityFingerprintTable {
  id: string;
  at: string;
  /** SHA-256 hex over the components. */
  fingerprint: string;
  /** JSON: component name → SHA-256 hex (which part changed, never what it contains). */
  components: string;
  reason: string;
  /** audited: through the admin code; accepted: `npx mamori integrity accept-settings`; baseline: first start. */
  source: 'audited' | 'accepted' | 'baseline';
  mac: string;
}

/** CSP violation reports, one row per (document path, directive, blocked URI) with a count. */
export interface CspReportTable {
  id: string;
  dedupe_key: string;
  document_path: string;
  directive: string;
  /** Origin and path only (query and fragment dropped), or a keyword such as `inline`, `eval`. */
  blocked_uri: string;
  source_file: string | null;
  disposition: string;
  /** 1 when the document was a checkout or payment page. */
  payment_path: number;
  /** 1 for browser-extension noise (chrome-extension: …) and junk (no document, unknown directive): stored, never alerted. */
  noise: number;
  count: number;
  first_seen_at: string;
  last_seen_at: string;
  /** HMAC of the reporting IP (never the IP itself). */
  last_ip_hash: string;
  user_agent: string;
}

/** Distinct sources of an unauthenticated critical signal (PAN tripwire, payment-path CSP report). */
export interface IntegrityAlertSourceTable {
  kind: string;
  source: string;
  first_seen_at: string;
  last_seen_at: string;
  count: number;
}

export interface IntegrityTables {
  integrity_fingerprints: IntegrityFingerprintTable;
  csp_reports: CspReportTable;
  integrity_alert_sources: IntegrityAlertSourceTable;
  monitor_runs: MonitorRunTable;
  monitor_baselines: MonitorBaselineTable;
}

export type IntegrityDatabase = Database & IntegrityTables;

/**
 * The shop's database seen with the integrity tables. Until `src/db/schema.ts` lists them this is
 * a type-level widening only (same object, same connection or transaction); afterwards it is a no-op.
 */
export function integrityDb(db: DbOrTx): Kysely<IntegrityDatabase> | Transaction<IntegrityDatabase> {
  return db as unknown as Kysely<IntegrityDatabase>;
}

/** Each walk the external monitor reported (Layer 3), with what it saw and how it compared. */
export interface MonitorRunTable {
  id: string;
  received_at: string;
  started_at: string;
  finished_at: string;
  /** clean: as approved; differences: alerted; no_baseline: nothing approved yet; failed: the walk stopped early. */
  outcome: 'clean' | 'differences' | 'no_baseline' | 'failed';
  error: string | null;
  /** JSON of the observation (observation.ts). */
  observation: string;
  /** The approved baseline it was compared with. */
  baseline_id: string | null;
  /** JSON array of differences (compare.ts). */
  differences: string;
  /** IP the report came from (the monitor host). */
  source_ip: string;
}

/** Approved baselines of the monitor (append-only: the latest row is the one in force). */
export interface MonitorBaselineTable {
  id: string;
  run_id: string;
  observation: string;
  approved_at: string;
  approved_by: string;
  reason: string;
}

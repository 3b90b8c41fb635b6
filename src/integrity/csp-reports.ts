import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { z } from 'zod';
import type { RaiseAlert } from '../alerts/service.js';
import type { Db } from '../db/index.js';
import { nowIso } from '../db/index.js';
import { hmacBase64url, newId } from '../shared/ids.js';
import type {} from '../web/context.js';
import { silentLogger, type IntegrityLogger } from './logger.js';
import { integrityDb } from './tables.js';

/**
 * `POST /csp-report`: the browser tells the shop what its Content-Security-Policy blocked.
 * Accepts the classic `application/csp-report` body (report-uri) and the Reporting API's
 * `application/reports+json` (report-to), and plain JSON of either shape. The Reporting API's
 * `integrity-violation` reports (Integrity-Policy) are taken the same way, under the directive
 * `integrity-policy`. Size-limited, rate-limited
 * per IP, deduplicated (document path + directive + blocked URI → one row with a count). A
 * violation on a checkout or payment page raises a critical `csp_violation_payment_path`; anywhere
 * else a warning `csp_violation`. Browser-extension noise and junk are stored but never alerted.
 */

export const CSP_REPORT_PATH = '/csp-report';
export const CSP_REPORT_MAX_BYTES = 16 * 1024;
const ACCEPTED_TYPES = new Set(['application/csp-report', 'application/reports+json', 'application/json']);

export interface CspReportDeps {
  db: Db;
  alerts: { raise(a: RaiseAlert): Promise<unknown> };
  rateLimiter: { hit(key: string, limit: number, windowSeconds: number): Promise<{ allowed: boolean }> };
  /** Key for hashing the reporter's IP (the shop's cookie secret). */
  hashKey: string;
  /** Reports per IP per minute (default 30). */
  perIpPerMinute?: number;
  logger?: IntegrityLogger;
}

export interface CspViolation {
  documentPath: string;
  directive: string;
  blockedUri: string;
  sourceFile: string | null;
  disposition: 'enforce' | 'report';
}

const legacySchema = z.object({ 'csp-report': z.record(z.string(), z.unknown()) });
const reportingSchema = z
  .array(z.object({ type: z.string().max(100), url: z.string().max(4000).optional(), body: z.record(z.string(), z.unknown()).optional() }))
  .max(100);

const EXTENSION_SCHEMES = /^(chrome-extension|moz-extension|safari-extension|safari-web-extension|ms-browser-extension|edge-extension):/i;
const KEYWORD = /^[a-z][a-z0-9-]{0,40}$/;

export function isPaymentPage(documentPath: string): boolean {
  return /^\/checkout(\/|$)/.test(documentPath) || /^\/orders\/[^/]+\/pay\/?$/.test(documentPath);
}

function str(o: Record<string, unknown>, ...keys: string[]): string | null {
  for (const k of keys) {
    const v = o[k];
    if (typeof v === 'string') return v;
  }
  return null;
}

/** Path of a document URL, without query or fragment (they can carry tokens). */
function pathOf(url: string | null): string {
  if (!url) return 'unknown';
  try {
    return new URL(url).pathname.slice(0, 300) || '/';
  } catch {
    return url.startsWith('/') ? url.split(/[?#]/)[0]!.slice(0, 300) : 'unknown';
  }
}

/**
 * A blocked or source URL as origin + path; a keyword (inline, eval, …) as is; any other scheme
 * (data:, blob:) as the scheme alone — never a query string or inline data, which could carry
 * whatever a skimmer tried to send.
 */
function locationOf(raw: string | null): string | null {
  if (raw === null) return null;
  const v = raw.trim();
  if (v === '') return 'none';
  if (KEYWORD.test(v)) return v;
  try {
    const u = new URL(v);
    if (u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'ws:' || u.protocol === 'wss:') return `${u.protocol}//${u.host}${u.pathname}`.slice(0, 300);
    if (EXTENSION_SCHEMES.test(v)) return `${u.protocol}//${u.host}`.slice(0, 300);
    return u.protocol;
  } catch {
    return 'unparseable';
  }
}

function directiveOf(o: Record<string, unknown>): string {
  const d = (str(o, 'effective-directive', 'effectiveDirective') ?? str(o, 'violated-directive', 'violatedDirective') ?? '').trim().split(/\s+/)[0] ?? '';
  return /^[a-z-]{1,60}$/.test(d) ? d : 'unknown';
}

/** The violations in a report body of either format (at most 20). */
export function parseCspReports(body: unknown): CspViolation[] | null {
  const out: CspViolation[] = [];
  const legacy = legacySchema.safeParse(body);
  if (legacy.success) {
    const r = legacy.data['csp-report'];
    out.push({
      documentPath: pathOf(str(r, 'document-uri', 'documentURL')),
      directive: directiveOf(r),
      blockedUri: locationOf(str(r, 'blocked-uri', 'blockedURL')) ?? 'none',
      sourceFile: locationOf(str(r, 'source-file', 'sourceFile')),
      disposition: str(r, 'disposition') === 'report' ? 'report' : 'enforce',
    });
    return out;
  }
  const reporting = reportingSchema.safeParse(body);
  if (!reporting.success) return null;
  for (const r of reporting.data.slice(0, 20)) {
    if (r.type === 'integrity-violation' && r.body) {
      // Integrity-Policy (SRI spec): a script without integrity metadata, or a no-cors script request, was blocked.
      out.push({
        documentPath: pathOf(str(r.body, 'documentURL') ?? r.url ?? null),
        directive: INTEGRITY_DIRECTIVE,
        blockedUri: locationOf(str(r.body, 'blockedURL')) ?? 'none',
        sourceFile: null,
        disposition: r.body.reportOnly === true ? 'report' : 'enforce',
      });
      continue;
    }
    if (r.type !== 'csp-violation' || !r.body) continue;
    out.push({
      documentPath: pathOf(str(r.body, 'documentURL', 'document-uri') ?? r.url ?? null),
      directive: directiveOf(r.body),
      blockedUri: locationOf(str(r.body, 'blockedURL', 'blocked-uri')) ?? 'none',
      sourceFile: locationOf(str(r.body, 'sourceFile', 'source-file')),
      disposition: str(r.body, 'disposition') === 'report' ? 'report' : 'enforce',
    });
  }
  return out;
}

export function isExtensionNoise(v: CspViolation): boolean {
  return EXTENSION_SCHEMES.test(v.blockedUri) || (v.sourceFile !== null && EXTENSION_SCHEMES.test(v.sourceFile));
}

/** The `directive` under which Integrity-Policy violations are stored and alerted. */
export const INTEGRITY_DIRECTIVE = 'integrity-policy';

const KNOWN_DIRECTIVES = new Set([
  INTEGRITY_DIRECTIVE,
  'default-src', 'script-src', 'script-src-elem', 'script-src-attr', 'style-src', 'style-src-elem', 'style-src-attr', 'img-src', 'font-src',
  'connect-src', 'media-src', 'object-src', 'frame-src', 'child-src', 'worker-src', 'manifest-src', 'prefetch-src', 'fenced-frame-src',
  'form-action', 'frame-ancestors', 'base-uri', 'navigate-to', 'sandbox', 'require-trusted-types-for', 'trusted-types', 'webrtc',
  'upgrade-insecure-requests', 'block-all-mixed-content',
]);

/**
 * What one alert covers. Reports are unauthenticated, so a flood of forged ones with ever new URLs
 * must not become a flood of alerts and mails: an alert is per page kind (order ids folded) and
 * directive — a bounded set. Every distinct violation still gets its own row in csp_reports.
 */
export function alertScope(v: CspViolation): string {
  const page = v.documentPath.replace(/^\/orders\/[^/]+\/pay\/?$/, '/orders/*/pay').replace(/^\/checkout\/return\/.*$/, '/checkout/return/*');
  return isPaymentPage(v.documentPath) ? `${page}:${v.directive}` : v.directive;
}

/** A report without a document or a known directive did not come from a browser enforcing our policy. */
export function isJunk(v: CspViolation): boolean {
  return v.documentPath === 'unknown' || !KNOWN_DIRECTIVES.has(v.directive);
}

/** Stores one violation (deduplicated) and raises its alert. */
export async function recordCspViolation(deps: Pick<CspReportDeps, 'db' | 'alerts'>, v: CspViolation, reporter: { ipHash: string; userAgent: string }): Promise<{ count: number; alerted: 'critical' | 'warning' | null }> {
  const key = createHash('sha256').update(`${v.documentPath}\n${v.directive}\n${v.blockedUri}`).digest('hex');
  const payment = isPaymentPage(v.documentPath);
  const noise = isExtensionNoise(v) || isJunk(v);
  const now = nowIso();
  const ua = reporter.userAgent.slice(0, 200);
  const row = await integrityDb(deps.db)
    .insertInto('csp_reports')
    .values({
      id: newId('csp'), dedupe_key: key, document_path: v.documentPath, directive: v.directive, blocked_uri: v.blockedUri,
      source_file: v.sourceFile, disposition: v.disposition, payment_path: payment ? 1 : 0, noise: noise ? 1 : 0, count: 1,
      first_seen_at: now, last_seen_at: now, last_ip_hash: reporter.ipHash, user_agent: ua,
    })
    .onConflict((oc) => oc.column('dedupe_key').doUpdateSet({ count: sql`csp_reports.count + 1`, last_seen_at: now, last_ip_hash: reporter.ipHash, user_agent: ua }))
    .returning('count')
    .executeTakeFirstOrThrow();
  if (noise) return { count: row.count, alerted: null };
  const severity = payment ? 'critical' : 'warning';
  const kind = payment ? 'csp_violation_payment_path' : 'csp_violation';
  await deps.alerts.raise({
    severity,
    kind,
    dedupeKey: `${kind}:${alertScope(v)}`,
    message: v.directive === INTEGRITY_DIRECTIVE
      ? payment
        ? `決済経路のページ ${v.documentPath} で、完全性ハッシュ（SRI）のないスクリプト ${v.blockedUri} がブラウザにより遮断されました（Integrity-Policy）。ページが改ざんされている可能性があります。`
        : `ページ ${v.documentPath} で、完全性ハッシュ（SRI）のないスクリプト ${v.blockedUri} が遮断されました（Integrity-Policy）。`
      : payment
        ? `決済経路のページ ${v.documentPath} で、許可されていない読み込みがブラウザにより遮断されました（${v.directive}: ${v.blockedUri}）。ページが改ざんされている可能性があります。`
        : `ページ ${v.documentPath} で、CSP違反が報告されました（${v.directive}: ${v.blockedUri}）。`,
    evidence: { documentPath: v.documentPath, directive: v.directive, blockedUri: v.blockedUri, sourceFile: v.sourceFile, disposition: v.disposition, count: row.count, ipHash: reporter.ipHash, userAgent: ua },
  });
  return { count: row.count, alerted: severity };
}

function badRequest(message: string): Error & { statusCode: number } {
  return Object.assign(new Error(message), { statusCode: 400 });
}

export function cspReportRoutes(app: FastifyInstance, deps: CspReportDeps): void {
  const log = deps.logger ?? silentLogger;
  const perMinute = deps.perIpPerMinute ?? 30;
  // Encapsulated: the report content types are understood here and nowhere else.
  void app.register(async (scope) => {
    scope.addContentTypeParser(['application/csp-report', 'application/reports+json'], { parseAs: 'string', bodyLimit: CSP_REPORT_MAX_BYTES }, (_req, body, done) => {
      try {
        done(null, JSON.parse(body as string) as unknown);
      } catch {
        done(badRequest('invalid JSON'), undefined);
      }
    });

    scope.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      if (req.routeOptions.url !== CSP_REPORT_PATH) return;
      const ipHash = hmacBase64url(deps.hashKey, `ip:${req.ip}`);
      const { allowed } = await deps.rateLimiter.hit(`csp-report:${ipHash}`, perMinute, 60);
      if (!allowed) return reply.code(429).header('retry-after', '60').send();
    });

    scope.post(CSP_REPORT_PATH, { bodyLimit: CSP_REPORT_MAX_BYTES, config: { csrf: false } }, async (req, reply) => {
      const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (!ACCEPTED_TYPES.has(type)) return reply.code(415).send();
      let body: unknown = req.body;
      if (typeof body === 'string') {
        try {
          body = JSON.parse(body) as unknown;
        } catch {
          throw badRequest('invalid JSON');
        }
      }
      const violations = parseCspReports(body);
      if (violations === null) throw badRequest('not a CSP report');
      const reporter = { ipHash: hmacBase64url(deps.hashKey, `ip:${req.ip}`), userAgent: String(req.headers['user-agent'] ?? '') };
      for (const v of violations) {
        try {
          await recordCspViolation(deps, v, reporter);
        } catch (err) {
          log.error({ err }, 'could not store a CSP report');
        }
      }
      return reply.code(204).send();
    });
  });
}

import type { FastifyInstance } from 'fastify';

/**
 * Security headers on every response (issue #5, Layer 1; docs/security.md#browser-side).
 *
 * - CSP: nothing by default; scripts, styles, images, fonts and fetches only from the shop itself;
 *   forms only to the shop and the payment provider; no framing, plugins or <base>; DOM sinks only
 *   through Trusted Types (there are none: the storefront script never writes HTML); violations
 *   reported to the shop's own endpoint.
 * - Integrity-Policy: the browser refuses any script without integrity metadata (and any no-cors
 *   script request), so a `<script src>` added to a template without an approved hash does not run.
 *   Pages take their scripts' hashes from the approved inventory (src/integrity/script-inventory.json).
 * - Both report to `POST /csp-report` (src/integrity/csp-reports.ts) via Reporting-Endpoints.
 */
export interface SecurityHeaderOptions {
  /** Origin of the payment provider's hosted page (forms post there). */
  providerOrigin: string;
  /** Behind TLS (an https PUBLIC_URL): HSTS and upgrade-insecure-requests. */
  tls: boolean;
  publicUrl: string;
}

export function contentSecurityPolicy(opts: SecurityHeaderOptions): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "font-src 'self'",
    `form-action 'self' ${opts.providerOrigin}`,
    "frame-ancestors 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
    // Violations are reported to the shop itself (src/integrity/csp-reports.ts).
    'report-uri /csp-report',
    'report-to csp',
    ...(opts.tls ? ['upgrade-insecure-requests'] : []),
  ].join('; ');
}

/** The headers every response carries (a route may set a stricter CSP of its own, e.g. /media/). */
export function securityHeaders(opts: SecurityHeaderOptions): Record<string, string> {
  const reportUrl = `${opts.publicUrl}/csp-report`;
  return {
    'content-security-policy': contentSecurityPolicy(opts),
    'integrity-policy': 'blocked-destinations=(script), endpoints=(integrity)',
    'reporting-endpoints': `csp="${reportUrl}", integrity="${reportUrl}"`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), hid=(), browsing-topics=()',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'x-frame-options': 'DENY',
    ...(opts.tls ? { 'strict-transport-security': 'max-age=63072000; includeSubDomains' } : {}),
  };
}

export function installSecurityHeaders(app: FastifyInstance, opts: SecurityHeaderOptions): void {
  const headers = Object.entries(securityHeaders(opts));
  // A callback hook, not an async one: it runs on every response, and a promise per hook shows
  // in the storefront's CPU profile.
  app.addHook('onSend', (_req, reply, payload, done) => {
    for (const [name, value] of headers) {
      // A route's own, stricter policy stays (product images are served with a sandbox CSP).
      if (name === 'content-security-policy' && reply.getHeader(name) !== undefined) continue;
      reply.header(name, value);
    }
    done(null, payload);
  });
}

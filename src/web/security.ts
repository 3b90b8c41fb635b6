import type { FastifyInstance } from 'fastify';

/**
 * Security headers on every response. The policy allows only the shop's own scripts and styles
 * (loaded with Subresource Integrity), and forms only to the shop and the payment provider.
 * Issue #5 tightens and monitors this further.
 */
export function installSecurityHeaders(app: FastifyInstance, opts: { providerOrigin: string; tls: boolean; publicUrl: string }): void {
  const csp = [
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
    // Violations are reported to the shop itself (src/integrity/csp-reports.ts).
    'report-uri /csp-report',
    'report-to csp',
    'upgrade-insecure-requests',
  ]
    .filter((d) => opts.tls || d !== 'upgrade-insecure-requests')
    .join('; ');
  const reportingEndpoints = `csp="${opts.publicUrl}/csp-report"`;
  const headers: Record<string, string> = {
    'content-security-policy': csp,
    'reporting-endpoints': reportingEndpoints,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'x-frame-options': 'DENY',
  };
  if (opts.tls) headers['strict-transport-security'] = 'max-age=63072000; includeSubDomains';
  // A callback hook, not an async one: it runs on every response, and a promise per hook shows
  // in the storefront's CPU profile.
  app.addHook('onSend', (_req, reply, payload, done) => {
    reply.headers(headers);
    done(null, payload);
  });
}

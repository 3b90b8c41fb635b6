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
  app.addHook('onSend', async (req, reply) => {
    reply.header('content-security-policy', csp);
    reply.header('reporting-endpoints', reportingEndpoints);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'strict-origin-when-cross-origin');
    reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()');
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-resource-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
    if (opts.tls) reply.header('strict-transport-security', 'max-age=63072000; includeSubDomains');
  });
}

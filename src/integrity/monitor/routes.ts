import type { FastifyInstance } from 'fastify';
import { hmacBase64url, safeEqual } from '../../shared/ids.js';
import type { RateLimiter } from '../../shared/ratelimit.js';
import type { MonitorService } from './service.js';

export const MONITOR_RUNS_PATH = '/integrity/monitor/runs';

/**
 * `POST /integrity/monitor/runs`: the external monitor reports one walk (JSON, `Authorization:
 * Bearer <MONITOR_TOKEN>`). The shop stores it, compares it with the approved baseline and raises
 * the alerts; the answer says how it compared. Wrong tokens are rate-limited per address.
 */
export function monitorRoutes(app: FastifyInstance, deps: { monitor: MonitorService; token: string; rateLimiter: RateLimiter; hashKey: string }): void {
  app.post(MONITOR_RUNS_PATH, { config: { csrf: false } }, async (req, reply) => {
    const ipHash = hmacBase64url(deps.hashKey, `ip:${req.ip}`);
    const auth = String(req.headers.authorization ?? '');
    const sent = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    if (!sent || !safeEqual(sent, deps.token)) {
      const { allowed } = await deps.rateLimiter.hit(`monitor-auth:${ipHash}`, 10, 300);
      if (!allowed) return reply.code(429).header('retry-after', '300').send({ error: 'too many attempts' });
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'monitor token required' });
    }
    let body: unknown = req.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body) as unknown;
      } catch {
        return reply.code(400).send({ error: 'invalid JSON' });
      }
    }
    const parsed = deps.monitor.parse(body);
    if (!parsed.ok) return reply.code(400).send({ error: `not an observation: ${parsed.message}` });
    const r = await deps.monitor.record(parsed.observation, req.ip);
    return reply.code(200).send({
      runId: r.runId,
      outcome: r.outcome,
      baseline: r.baselineId ? 'approved' : 'none',
      differences: r.differences.map((d) => ({ kind: d.kind, severity: d.severity, step: d.step, message: d.message })),
    });
  });
}

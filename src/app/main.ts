import type { FastifyInstance } from 'fastify';
import { seedDemoCatalog } from '../catalog/demo.js';
import { startIntegrity, verifyAtStart } from '../integrity/index.js';
import type { Config } from './config.js';
import { LeasedJob } from '../shared/leases.js';
import { buildServer } from './server.js';
import { createServices, type Services } from './services.js';

export interface RunningShop {
  app: FastifyInstance;
  services: Services;
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the shop: migrations, the demo catalog on an empty database, the HTTP server and — unless
 * disabled — the background workers (mail outbox, payment reconciliation, session clean-up).
 */
export async function startShop(config: Config, opts: { seedDemo?: boolean } = {}): Promise<RunningShop> {
  // Before anything else runs from the files (migrations included): are they the signed release?
  const startup = config.integrity.enabled
    ? await verifyAtStart({ production: config.env === 'production', publicKeyFile: config.integrity.releasePublicKeyFile, expectedKeyFingerprint: config.integrity.releaseKeyFingerprint })
    : null;
  const services = await createServices(config);
  if (opts.seedDemo ?? true) await seedDemoCatalog(services.handle.db, services.mediaDir);
  const app = await buildServer(services);
  services.integrity = await startIntegrity(services, { config: config.integrity, startup, logger: app.log, monitors: config.workers });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // Background work runs once across all shop processes on one database: the outbox claims each
  // mail with a row lease; periodic jobs run under a named lease (shared/leases.ts), so only the
  // process holding it runs them, and another takes over when that one dies.
  const jobs: LeasedJob[] = [];
  if (config.workers) {
    services.outbox.start();
    jobs.push(
      new LeasedJob(services.handle.db, {
        name: 'payments:reconcile',
        intervalMs: 30_000,
        // Taking the job over (at start, or from a process that died) checks every open attempt: the
        // previous holder may have died mid-payment. Then every 30 s, attempts idle for 30 s.
        run: ({ takeover }) => services.payments.reconcile({ olderThanMs: takeover ? 0 : 30_000 }),
        onError: (err) => app.log.error({ err }, 'payment reconciliation failed'),
      }),
      new LeasedJob(services.handle.db, {
        name: 'maintenance:purge',
        intervalMs: 3600_000,
        run: async () => {
          await services.sessions.purgeExpired();
          await services.rateLimiter.purgeOlderThan(86_400);
        },
        onError: (err) => app.log.warn({ err }, 'purge of expired sessions and rate-limit windows failed'),
      }),
    );
    // Retention (docs/privacy.md): looked at hourly by one process; its own daily lease makes it run once a day.
    jobs.push(
      new LeasedJob(services.handle.db, {
        name: 'privacy:retention-check',
        intervalMs: 3600_000,
        run: () => services.retention.runIfDue(),
        onError: (err) => app.log.error({ err }, 'retention run failed'),
      }),
    );
    for (const job of jobs) job.start();
  }
  return {
    app,
    services,
    url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`,
    async stop() {
      await Promise.all(jobs.map((j) => j.stop()));
      await services.integrity?.stop();
      await app.close();
      await services.close();
    },
  };
}

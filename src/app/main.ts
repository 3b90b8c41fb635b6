import type { FastifyInstance } from 'fastify';
import { seedDemoCatalog } from '../catalog/demo.js';
import { startIntegrity, verifyAtStart } from '../integrity/index.js';
import type { Config } from './config.js';
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
  const timers: NodeJS.Timeout[] = [];
  if (config.workers) {
    services.outbox.start();
    const reconcile = (olderThanMs: number) => {
      services.payments.reconcile({ olderThanMs }).catch((err: unknown) => app.log.error({ err }, 'payment reconciliation failed'));
    };
    // At start every open attempt is checked: the previous process may have died mid-payment.
    reconcile(0);
    timers.push(setInterval(() => reconcile(30_000), 30_000));
    timers.push(
      setInterval(() => {
        services.sessions.purgeExpired().catch(() => undefined);
        services.rateLimiter.purgeOlderThan(86_400).catch(() => undefined);
      }, 3600_000),
    );
    // Retention (docs/privacy.md): checked hourly; a lease lets one process in the shop run it once a day.
    const retention = () => {
      services.retention.runIfDue().catch((err: unknown) => app.log.error({ err }, 'retention run failed'));
    };
    retention();
    timers.push(setInterval(retention, 3600_000));
  }
  return {
    app,
    services,
    url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`,
    async stop() {
      for (const t of timers) clearInterval(t);
      await services.integrity?.stop();
      await app.close();
      await services.close();
    },
  };
}

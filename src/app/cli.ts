import { parseArgs } from 'node:util';
import { startPsp } from '../../psp/server.js';
import { seedDemoCatalog } from '../catalog/demo.js';
import { openDatabase } from '../db/index.js';
import { migrateToLatest } from '../db/migrate.js';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { z } from 'zod';
import { AuditLog } from '../admin/audit.js';
import { StaffService } from '../admin/staff-service.js';
import { field } from '../shared/validation.js';
import { createServices } from './services.js';
import { integrityCommand, releaseCommand } from '../integrity/cli.js';
import { backupCommand, retentionCommand } from '../privacy/cli.js';
import { noticesCommand, NOTICES_HELP } from '../incidents/notices/cli.js';
import { demoHistoryCommand, exportCommand, importCommand, incidentCommand, INCIDENT_HELP } from '../incidents/cli.js';
import { monitorCommand } from '../integrity/monitor/cli.js';
import { startMonitor } from '../integrity/monitor/loop.js';
import { shopMonitorToken } from '../integrity/monitor/identity.js';
import { loadConfig, type Config } from './config.js';
import { startShop } from './main.js';
import { clusterOptionsFromEnv, runCluster } from './cluster.js';

const HELP = `mamori — a Japanese web shop that never touches card data

Usage: npx mamori <command> [options]

Commands:
  start        Start the shop (and the sandbox payment provider when PAYMENT_PROVIDER=sandbox)
  psp          Start only the sandbox payment provider on PSP_PORT
  cluster [--json]
               Start CLUSTER_WORKERS shop processes (default 2, PostgreSQL) behind PORT, and the
               sandbox payment provider as its own process (docs/operations-scale.md)
  migrate      Apply database migrations
  seed-demo    Load the demo catalog into an empty database
  status [--json]
               Card-payment state and open security alerts
  payments suspend --reason "…"   Stop card payments now (checkout offers the other methods)
  payments resume --reason "…"    Take card payments again
  payments refund ORDER_NUMBER [--amount YEN]
               Refund a card order through the payment provider (full by default)
  admin create --email E [--name N]
               Invite an owner of the admin console: prints a one-time setup link (24 h)
  audit verify Check the hash chain of the audit log (exit 1 when an entry was edited,
               deleted or inserted)
  release keygen --out DIR | sign --key PRIVATE.pem | verify [--public-key PUB.pem]
               Signed release manifest of every file the shop runs (docs/integrity.md)
  integrity check | accept-settings
               Re-verify files, release, settings fingerprint and audit chain now
  backup [--out FILE] | backup verify FILE | restore FILE [--force]
               Encrypted, checksummed backups (docs/privacy.md)
  retention plan | run
               Retention policy: what the next run would do (counts only) / apply it now (docs/privacy.md)
${INCIDENT_HELP}
${NOTICES_HELP}
  monitor [--once] [--url URL] | monitor token
               Walk the buyer path in headless Chromium every MONITOR_INTERVAL_SECONDS and
               report to the shop (runs on any host with MONITOR_SHOP_URL + MONITOR_TOKEN)
  help         Show this help

Configuration comes from environment variables; see README.md.`;

async function startPspFor(config: Config) {
  return startPsp({
    host: config.host,
    port: config.psp.port,
    dataDir: config.dataDir,
    apiKey: config.secrets.pspApiKey,
    webhookSecret: config.secrets.pspWebhookSecret,
    publicUrl: config.psp.publicUrl,
    logLevel: config.logLevel,
  });
}

function onShutdown(fn: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    fn().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}

export async function main(argv: string[]): Promise<number> {
  const [command = 'help', ...rest] = argv;
  // Before loading the shop's configuration: a build machine signs releases without a data directory.
  if (command === 'release') return releaseCommand(rest, { releasePublicKeyFile: process.env.MAMORI_RELEASE_PUBLIC_KEY_FILE });
  // Generating a demo history needs no shop.
  if (command === 'demo' && rest[0] === 'history') return demoHistoryCommand(rest.slice(1));
  // On a monitor host there is no shop configuration: the shop URL and the token are enough.
  if (command === 'monitor') {
    const remote = Boolean(process.env.MONITOR_TOKEN && process.env.MONITOR_SHOP_URL);
    return monitorCommand(rest, remote && rest[0] !== 'token' ? null : () => {
      const c = loadConfig();
      return { url: c.monitor.shopUrl ?? c.publicUrl, token: shopMonitorToken(c.monitor.token, c.secrets.cookieSecret) };
    });
  }
  const config = loadConfig();
  switch (command) {
    case 'start': {
      parseArgs({ args: rest, options: {} });
      const psp = config.paymentProvider === 'sandbox' && process.env.PSP_EMBEDDED !== '0' ? await startPspFor(config) : null;
      const shop = await startShop(config);
      console.log(`Mamori is running: ${config.publicUrl}  (database: ${shop.services.handle.dialect}, data: ${config.dataDir})`);
      if (psp) console.log(`Sandbox payment provider: ${psp.publicUrl}  (test cards: docs/payments.md)`);
      if (!config.smtpUrl) console.log(`Mail is written to ${join(config.dataDir, 'mail')} (set SMTP_URL to send it).`);
      // Layer 3 of issue #5 in this process, when a Chromium is there (MONITOR=0 turns it off).
      const monitor = config.monitor.enabled && config.workers && existsSync(config.monitor.chromiumPath)
        ? await startMonitor({
          shopUrl: config.monitor.shopUrl ?? shop.url, token: shop.services.monitorToken, intervalSeconds: config.monitor.intervalSeconds,
          chromiumPath: config.monitor.chromiumPath, productPath: config.monitor.productPath, logger: shop.app.log,
        }).catch((err: unknown) => {
          console.log(`External monitor not started: ${err instanceof Error ? err.message : String(err)}`);
          return null;
        })
        : null;
      if (monitor) console.log(`External monitor: walking the buyer path every ${config.monitor.intervalSeconds} s (approve its baseline on the admin security page).`);
      onShutdown(async () => {
        await monitor?.stop();
        await shop.stop();
        await psp?.close();
      });
      return -1;
    }
    case 'psp': {
      const psp = await startPspFor(config);
      console.log(`Sandbox payment provider: ${psp.url}`);
      onShutdown(() => psp.close());
      return -1;
    }
    case 'cluster': {
      const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false } } });
      await runCluster(config, clusterOptionsFromEnv(process.env, values.json, config));
      return -1;
    }
    case 'migrate': {
      const handle = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      const applied = await migrateToLatest(handle.db);
      console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
      await handle.close();
      return 0;
    }
    case 'seed-demo': {
      const handle = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      await migrateToLatest(handle.db);
      const r = await seedDemoCatalog(handle.db, join(config.dataDir, 'media'));
      console.log(r.products ? `Demo catalog: ${r.categories} categories, ${r.products} products, ${r.variants} variants.` : 'The catalog is not empty; nothing seeded.');
      await handle.close();
      return 0;
    }
    case 'status': {
      const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false } } });
      const services = await createServices(config);
      try {
        const state = await services.killSwitch.state();
        const alerts = (await services.alerts.listOpen()).map((a) => ({ id: a.id, severity: a.severity, kind: a.kind, detectedAt: a.first_seen_at, lastSeenAt: a.last_seen_at, count: a.count, message: a.message }));
        const status = { cardPayments: state.state, cardPaymentsSince: state.since, cardPaymentsReason: state.reason, alerts };
        if (values.json) console.log(JSON.stringify(status, null, 2));
        else {
          console.log(`Card payments: ${state.state}${state.reason ? ` (since ${state.since}, ${state.actor}: ${state.reason})` : ''}`);
          console.log(alerts.length ? alerts.map((a) => `[${a.severity}] ${a.detectedAt} ${a.kind} ×${a.count}: ${a.message}`).join('\n') : 'No open alerts.');
        }
      } finally {
        await services.close();
      }
      return 0;
    }
    case 'payments': {
      const [sub, ...args] = rest;
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { reason: { type: 'string' }, amount: { type: 'string' } } });
      const actor = `cli:${userInfo().username}`;
      const services = await createServices(config);
      try {
        if (sub === 'suspend' || sub === 'resume') {
          if (!values.reason?.trim()) {
            console.error('A reason is required: --reason "…"');
            return 2;
          }
          const r = await services.killSwitch.set(sub === 'suspend' ? 'suspended' : 'enabled', actor, values.reason);
          console.log(`Card payments ${sub === 'suspend' ? 'suspended' : 'enabled'}${r.changed ? '' : ' (no change)'}.`);
          return 0;
        }
        if (sub === 'refund') {
          const orderNumber = positionals[0];
          if (!orderNumber) {
            console.error('Usage: npx mamori payments refund ORDER_NUMBER [--amount YEN]');
            return 2;
          }
          if (values.amount !== undefined && !/^\d{1,9}$/.test(values.amount)) {
            console.error('--amount must be a whole number of yen.');
            return 2;
          }
          const r = await services.payments.refund(orderNumber, values.amount === undefined ? null : Number(values.amount), actor);
          console.log(`Refunded. Total refunded: ${r.refundedYen} yen (${r.status}).`);
          return 0;
        }
        console.error(`Unknown payments command: ${sub ?? ''}\n\n${HELP}`);
        return 2;
      } catch (err) {
        console.error(err instanceof Error ? err.message : String(err));
        return 1;
      } finally {
        await services.close();
      }
    }
    case 'admin': {
      const [sub, ...args] = rest;
      if (sub !== 'create') {
        console.error(`Unknown admin command: ${sub ?? ''}\n\nUsage: npx mamori admin create --email E [--name N]`);
        return 2;
      }
      const { values } = parseArgs({ args, options: { email: { type: 'string' }, name: { type: 'string' } } });
      const email = field.email().safeParse(values.email ?? '');
      const name = z.union([z.undefined(), field.name()]).safeParse(values.name);
      if (!email.success || !name.success) {
        console.error(!email.success ? '--email must be an e-mail address.' : '--name must be 1–60 characters.');
        console.error('Usage: npx mamori admin create --email E [--name N]');
        return 2;
      }
      const actor = `cli:${userInfo().username}`;
      const services = await createServices(config);
      try {
        const staff = new StaffService(services);
        const existing = await staff.findByEmail(email.data);
        let link: string;
        if (!existing) {
          const r = await staff.invite({ email: email.data, name: name.data ?? email.data.split('@')[0]!, role: 'owner' }, actor, { mailInvitee: false });
          if (!r.ok) throw new Error(`${email.data} already exists.`);
          link = r.link;
          console.log(`Owner invited: ${email.data}`);
        } else if (existing.status === 'invited' && existing.role === 'owner' && !existing.totp_enabled_at) {
          // The setup was never finished: a new link replaces the old one.
          link = (await staff.resetSecondFactor(existing, actor, { mailStaff: false })).link;
          console.log(`Owner ${email.data} had not finished the setup: the earlier link no longer works.`);
        } else {
          console.error(`${email.data} already has an admin account (${existing.role}, ${existing.status}). Use the staff page of the admin console.`);
          return 1;
        }
        console.log('Open this link within 24 hours to set a password and enrol two-factor authentication (it works once):');
        console.log(link);
        return 0;
      } finally {
        await services.close();
      }
    }
    case 'audit': {
      const [sub] = rest;
      if (sub !== 'verify') {
        console.error(`Unknown audit command: ${sub ?? ''}\n\nUsage: npx mamori audit verify`);
        return 2;
      }
      const handle = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        await migrateToLatest(handle.db);
        const r = await new AuditLog(handle.db).verify();
        if (r.ok) {
          console.log(`OK: ${r.entries} entries, last hash ${r.lastHash}`);
          return 0;
        }
        console.error(`AUDIT LOG BROKEN: ${r.message}.`);
        console.error(`The ${r.entries} entries before it verify; examine entry #${r.seq} and everything after it.`);
        return 1;
      } finally {
        await handle.close();
      }
    }
    case 'integrity': {
      const services = await createServices(config);
      try {
        return await integrityCommand(rest, services, { releasePublicKeyFile: config.integrity.releasePublicKeyFile });
      } finally {
        await services.close();
      }
    }
    case 'backup':
    case 'restore':
      return backupCommand(command, rest, config);
    case 'retention':
      return retentionCommand(rest, config);
    case 'import':
      return importCommand(rest, config);
    case 'export':
      return exportCommand(rest, config);
    case 'incident':
      return incidentCommand(rest, config);
    case 'notices':
      return noticesCommand(rest, config);
    case 'help':
    case '--help':
    case '-h':
      console.log(HELP);
      return 0;
    default:
      console.error(`Unknown command: ${command}\n\n${HELP}`);
      return 2;
  }
}

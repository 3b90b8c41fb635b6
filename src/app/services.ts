import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { CartService } from '../cart/service.js';
import { CatalogService } from '../catalog/service.js';
import { OrderService } from '../checkout/service.js';
import { CustomerService } from '../customers/service.js';
import { SessionService } from '../customers/sessions.js';
import { openDatabase, type DbHandle } from '../db/index.js';
import { migrateToLatest } from '../db/migrate.js';
import { OutboxWorker } from '../notify/outbox.js';
import { FileTransport, SmtpTransport, type MailTransport } from '../notify/transport.js';
import type { PaymentProvider } from '../payments/provider.js';
import { createPaymentProvider } from '../payments/providers/index.js';
import { CardKillSwitch } from '../payments/killswitch.js';
import { PaymentService } from '../payments/service.js';
import { PaymentLinkService } from '../payments/links.js';
import { AlertService } from '../alerts/service.js';
import { AuditLog } from '../admin/audit.js';
import { fingerprintEnvironment, recordAuditedFingerprint, setFingerprintEnvironment } from '../integrity/fingerprint.js';
import type { IntegrityRuntime } from '../integrity/index.js';
import { StaffSessions } from '../admin/sessions.js';
import { isMonitorEmail, shopMonitorToken } from '../integrity/monitor/identity.js';
import { MonitorService } from '../integrity/monitor/service.js';
import { SettingsService } from '../settings/service.js';
import { RateLimiter } from '../shared/ratelimit.js';
import { IncidentService, NO_SCOPE } from '../incidents/records/service.js';
import { ScopeSnapshots } from '../incidents/snapshots.js';
import { NoticeService } from '../incidents/notices/service.js';
import type { Config } from './config.js';
import { CatalogRequestService } from '../catalog-requests/service.js';
import { RetentionService } from '../privacy/retention.js';
import { ProvisionRecords } from '../privacy/provisions.js';
import { PrivacyRequests } from '../privacy/requests.js';

/** The composition root: every service, built once from the config, each given what it needs. */
export interface Services {
  config: Config;
  handle: DbHandle;
  settings: SettingsService;
  catalog: CatalogService;
  sessions: SessionService;
  customers: CustomerService;
  cart: CartService;
  orders: OrderService;
  payments: PaymentService;
  alerts: AlertService;
  killSwitch: CardKillSwitch;
  audit: AuditLog;
  staffSessions: StaffSessions;
  /** File watcher, release guard, settings fingerprint (started by startShop when enabled). */
  integrity: IntegrityRuntime | null;
  rateLimiter: RateLimiter;
  incidents: IncidentService;
  scopeSnapshots: ScopeSnapshots;
  notices: NoticeService;
  /** The external monitor's reports, baselines and approval (issue #5, Layer 3). */
  monitor: MonitorService;
  /** The monitor's credential (MONITOR_TOKEN, or derived from the shop's secret). */
  monitorToken: string;
  mail: MailTransport;
  outbox: OutboxWorker;
  mediaDir: string;
  catalogRequests: CatalogRequestService;
  /** Payment links for card orders entered by staff (issue #9). */
  paymentLinks: PaymentLinkService;
  /** Retention policy applied daily, and the third-party provision records (issue #7, docs/privacy.md). */
  retention: RetentionService;
  provisions: ProvisionRecords;
  privacyRequests: PrivacyRequests;
  close(): Promise<void>;
}

export async function createServices(config: Config, opts: { provider?: PaymentProvider; mail?: MailTransport; logger?: FastifyBaseLogger } = {}): Promise<Services> {
  const handle = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await migrateToLatest(handle.db);
  const db = handle.db;
  const settings = new SettingsService(db);
  const catalog = new CatalogService(db);
  const sessions = new SessionService(db);
  const customers = new CustomerService(db, sessions, settings, config.publicUrl);
  const cart = new CartService(db, catalog);
  const monitorToken = shopMonitorToken(config.monitor.token, config.secrets.cookieSecret);
  const orders = new OrderService(db, cart, settings, customers, config.publicUrl, config.secrets.cookieSecret, (email) => isMonitorEmail(monitorToken, email));
  const provider = opts.provider ?? createPaymentProvider(config);
  const alerts = new AlertService(db);
  const killSwitch = new CardKillSwitch(db);
  const payments = new PaymentService(db, provider, orders, config.publicUrl, killSwitch, alerts, config.secrets.cookieSecret, config.cardLimits);
  setFingerprintEnvironment(fingerprintEnvironment(config, payments.providerOrigin));
  const audit = new AuditLog(db);
  // Staff and payment settings changed through the audited path re-record the settings
  // fingerprint in the same transaction; any other change to them is seen as tampering.
  audit.onAppend(async (entry, tx) => {
    if (/^(staff\.|settings\.update$|auth\.lockout$)/.test(entry.action)) await recordAuditedFingerprint(tx, entry.action);
  });
  const mail = opts.mail ?? (config.smtpUrl ? new SmtpTransport(config.smtpUrl, config.mailFrom) : new FileTransport(join(config.dataDir, 'mail'), config.mailFrom));
  const outbox = new OutboxWorker(db, handle.dialect, mail, {
    leaseMs: config.mailLeaseSeconds * 1000,
    onError: (err) => opts.logger?.error({ err }, 'outbox worker failed'),
  });
  const incidents = new IncidentService(db, audit, settings, config.publicUrl);
  const scopeSnapshots = new ScopeSnapshots(db, audit);
  const notices = new NoticeService(db, audit, settings, scopeSnapshots, { dir: join(config.dataDir, 'incidents'), ...config.notices });
  incidents.useFigures({
    scope: async (id) => (await scopeSnapshots.figures(id)) ?? NO_SCOPE,
    notices: async (id) => {
      const p = await notices.progress(id);
      return p.total ? p : null;
    },
  });
  const provisions = new ProvisionRecords(db);
  return {
    config, handle, settings, catalog, sessions, customers, cart, orders, payments, alerts, killSwitch,
    audit,
    staffSessions: new StaffSessions(db, config.admin.idleMinutes),
    integrity: null,
    rateLimiter: new RateLimiter(db),
    incidents, scopeSnapshots, notices,
    monitor: new MonitorService(db, { alerts, orders, payments, audit }),
    monitorToken,
    mail, outbox,
    mediaDir: join(config.dataDir, 'media'),
    catalogRequests: new CatalogRequestService(db),
    paymentLinks: new PaymentLinkService(db, orders, payments, settings, audit, config.publicUrl, config.secrets.cookieSecret),
    retention: new RetentionService(db, settings, audit),
    provisions,
    privacyRequests: new PrivacyRequests(db, settings, audit, provisions),
    async close() {
      await outbox.stop();
      mail.close();
      await handle.close();
    },
  };
}

import type { Services } from '../app/services.js';
import { newId } from '../shared/ids.js';
import { tryAcquireLease } from '../shared/leases.js';
import type { IntegrityConfig } from './config.js';
import { fingerprintEnvironment, setFingerprintEnvironment, SettingsFingerprintMonitor } from './fingerprint.js';
import { silentLogger, type IntegrityLogger } from './logger.js';
import { installAlertResponse, securityContacts, type AlertResponse } from './response.js';
import { startReleaseGuard, type ReleaseGuard } from './release-guard.js';
import { AuditChainWatch } from './audit-watch.js';
import { reportStartup, type StartupResult } from './startup.js';
import { startFileWatcher, type FileWatcher, type WatcherOptions } from './watcher.js';

export { loadIntegrityConfig, type IntegrityConfig } from './config.js';
export { IntegrityStartError, verifyAtStart, type StartupResult } from './startup.js';
export { cspReportRoutes } from './csp-reports.js';
export { recordAuditedFingerprint, setFingerprintEnvironment, fingerprintEnvironment } from './fingerprint.js';
export { integrityCommand, releaseCommand } from './cli.js';

export interface IntegrityRuntime {
  watcher: FileWatcher | null;
  fingerprint: SettingsFingerprintMonitor | null;
  response: AlertResponse | null;
  releaseGuard: ReleaseGuard | null;
  /**
   * What resuming card payments must check first: a full re-hash with no file differing from the
   * manifest, the settings fingerprint matching its audited record, and an intact audit log.
   */
  reverify(): Promise<{ ok: boolean; problems: string[] }>;
  stop(): Promise<void>;
}

export interface StartIntegrityOptions {
  config: IntegrityConfig;
  /** The result of verifyAtStart (null when integrity is off). */
  startup: StartupResult | null;
  logger?: IntegrityLogger;
  /** Run the settings fingerprint monitor in this process (the process that runs the workers). */
  monitors?: boolean;
  /** Overrides for the file watcher (the drills shorten the re-hash period). */
  watcher?: Partial<Pick<WatcherOptions, 'rehashIntervalMs' | 'debounceMs' | 'maxDelayMs' | 'watchNodeModules'>>;
}

/**
 * Starts Layer 2 in a running shop: the alert response (installed first, so it sees every alert),
 * the start-up findings as an alert, the file watcher and the settings fingerprint monitor.
 */
export async function startIntegrity(services: Services, opts: StartIntegrityOptions): Promise<IntegrityRuntime> {
  const log = opts.logger ?? silentLogger;
  const { config } = services;
  const env = fingerprintEnvironment(config, services.payments.providerOrigin);
  setFingerprintEnvironment(env);
  if (!opts.config.enabled) {
    return { watcher: null, fingerprint: null, response: null, releaseGuard: null, reverify: async () => ({ ok: true, problems: [] }), stop: async () => undefined };
  }
  const db = services.handle.db;
  const response = installAlertResponse({
    alerts: services.alerts,
    killSwitch: services.killSwitch,
    db,
    mailTo: () => securityContacts(db),
    webhookUrl: opts.config.webhookUrl,
    logger: log,
    adminUrl: `${config.publicUrl}${config.admin.path}/security`,
    shopName: (await services.settings.get()).shop.name,
    corroboration: { distinctSources: opts.config.tripwireSources, windowMs: opts.config.tripwireWindowMinutes * 60_000 },
  });
  if (opts.startup) await reportStartup(opts.startup, services.alerts);
  const startup = opts.startup;
  const watcher = await startFileWatcher({
    alerts: services.alerts,
    manifest: startup?.manifest ?? null,
    initialDiff: startup?.diff ?? null,
    root: startup?.root,
    runtime: startup?.runtime,
    release: startup?.publicKey && startup.manifest ? { dir: startup.releaseDir, publicKey: startup.publicKey } : null,
    rehashIntervalMs: opts.config.rehashSeconds * 1000,
    logger: log,
    ...opts.watcher,
  });
  const releaseGuard = startup?.publicKey && startup.manifest
    ? await startReleaseGuard({ alerts: services.alerts, releaseDir: startup.releaseDir, publicKey: startup.publicKey, publicKeyFile: startup.publicKeyFile, intervalMs: opts.config.rehashSeconds * 1000, logger: log })
    : null;
  let fingerprint: SettingsFingerprintMonitor | null = null;
  let auditWatch: AuditChainWatch | null = null;
  if (opts.monitors ?? true) {
    // One process of a cluster checks at a time (lease renewed at every check; taken over 3 periods after its holder died).
    const holder = newId('lease');
    const gate = () => tryAcquireLease(db, 'integrity:settings-fingerprint', holder, opts.config.settingsCheckSeconds * 3000);
    fingerprint = new SettingsFingerprintMonitor({ db, alerts: services.alerts, env, intervalMs: opts.config.settingsCheckSeconds * 1000, logger: log, gate });
    await fingerprint.start();
    const auditGate = () => tryAcquireLease(db, 'integrity:audit-chain', holder, opts.config.settingsCheckSeconds * 3000);
    auditWatch = new AuditChainWatch({ audit: services.audit, alerts: services.alerts, intervalMs: opts.config.settingsCheckSeconds * 1000, logger: log, gate: auditGate });
    await auditWatch.start();
  }
  return {
    watcher,
    fingerprint,
    response,
    releaseGuard,
    async reverify() {
      const problems: string[] = [];
      const release = await releaseGuard?.check();
      if (release) problems.push(`release: ${release}`);
      await watcher.checkNow();
      for (const c of watcher.outstanding()) problems.push(`file ${c.path}: ${c.expected === null ? 'added' : c.actual === null ? 'removed' : 'changed'}`);
      const fp = await (fingerprint ?? new SettingsFingerprintMonitor({ db, alerts: services.alerts, env, confirmDelayMs: 0 })).check();
      if (!fp.ok) problems.push(`settings: ${fp.problem}${fp.changed.length ? ` (${fp.changed.join(', ')})` : ''}`);
      const audit = await services.audit.verify();
      if (!audit.ok) problems.push(`audit log: ${audit.message}`);
      return { ok: problems.length === 0, problems };
    },
    async stop() {
      await releaseGuard?.close();
      await watcher.close();
      await fingerprint?.close();
      await auditWatch?.close();
      await response.flush();
    },
  };
}

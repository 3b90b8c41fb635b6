import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { silentLogger, type IntegrityLogger } from '../logger.js';
import type { Observation } from './observation.js';
import { MONITOR_RUNS_PATH } from './routes.js';
import { walkBuyerPath } from './runner.js';

/**
 * The monitor process: every interval, one walk in a fresh browser context, posted to the shop.
 * It keeps no state of its own, so it can run on any host that reaches the shop over HTTP(S): all
 * it needs is the shop's URL and the monitor token.
 */

export interface MonitorOptions {
  shopUrl: string;
  token: string;
  intervalSeconds: number;
  chromiumPath: string;
  productPath?: string | null;
  logger?: IntegrityLogger;
}

export interface RunReport {
  observation: Observation;
  /** The shop's answer, or null when it could not be reached. */
  result: { runId: string; outcome: string; baseline: string; differences: { kind: string; severity: string; step: string; message: string }[] } | null;
  postError: string | null;
}

export interface MonitorHandle {
  /** One walk now, reported to the shop. */
  runOnce(): Promise<RunReport>;
  /** Walks every interval from now on (the first at once). */
  start(): void;
  stop(): Promise<void>;
}

/** Chromium's flags: headless in a container (no sandbox as root), no calls to Google's services. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/** A new browser after this many walks (bounded memory in a long-running process). */
const RELAUNCH_AFTER = 100;

export async function postObservation(shopUrl: string, token: string, observation: Observation): Promise<RunReport['result']> {
  const res = await fetch(new URL(MONITOR_RUNS_PATH, shopUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, accept: 'application/json' },
    body: JSON.stringify(observation),
    signal: AbortSignal.timeout(30_000),
    redirect: 'error',
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`the shop answered ${res.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as RunReport['result'];
}

export async function createMonitor(opts: MonitorOptions): Promise<MonitorHandle> {
  if (!existsSync(opts.chromiumPath)) throw new Error(`no Chromium at ${opts.chromiumPath} (install chromium or set CHROMIUM_PATH)`);
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new Error('playwright-core is not installed (it is a development dependency: install it on the monitor host)');
  }
  const log = opts.logger ?? silentLogger;
  let browser: Browser | null = null;
  let walks = 0;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<RunReport | null> | null = null;
  let stopped = false;

  const getBrowser = async (): Promise<Browser> => {
    if (browser && (!browser.isConnected() || walks >= RELAUNCH_AFTER)) {
      await browser.close().catch(() => undefined);
      browser = null;
    }
    if (!browser) {
      browser = await chromium.launch({ executablePath: opts.chromiumPath, headless: true, args: CHROMIUM_ARGS });
      walks = 0;
    }
    return browser;
  };

  const runOnce = async (): Promise<RunReport> => {
    const b = await getBrowser();
    walks++;
    const observation = await walkBuyerPath(b, { shopUrl: opts.shopUrl, token: opts.token, productPath: opts.productPath ?? null });
    // A walk cut short by stopping (shutdown closes the browser) is not a finding.
    if (stopped) return { observation, result: null, postError: 'monitor stopped' };
    try {
      const result = await postObservation(opts.shopUrl, opts.token, observation);
      const serious = result?.differences.filter((d) => d.severity === 'critical') ?? [];
      if (serious.length) log.error({ runId: result?.runId, differences: serious.map((d) => `${d.kind} ${d.step}`) }, 'monitor: critical differences on the buyer path');
      else if (observation.error) log.warn({ error: observation.error }, 'monitor: the walk stopped early');
      return { observation, result, postError: null };
    } catch (err) {
      const postError = err instanceof Error ? err.message : String(err);
      log.error({ error: postError }, 'monitor: could not report the walk to the shop');
      return { observation, result: null, postError };
    }
  };

  // Walks start every interval (fixed rate); a walk longer than the interval is followed at once by
  // the next, so a change is seen within two intervals whenever a walk fits in one.
  const tick = () => {
    if (stopped) return;
    const started = Date.now();
    running = runOnce().catch((err: unknown) => {
      log.error({ error: err instanceof Error ? err.message : String(err) }, 'monitor: walk failed');
      return null;
    }).finally(() => {
      running = null;
      if (!stopped) timer = setTimeout(tick, Math.max(0, opts.intervalSeconds * 1000 - (Date.now() - started)));
    });
  };

  return {
    runOnce,
    start: tick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
      await browser?.close().catch(() => undefined);
    },
  };
}

/** Starts the periodic walks (the first one at once). */
export async function startMonitor(opts: MonitorOptions): Promise<MonitorHandle> {
  const m = await createMonitor(opts);
  m.start();
  return m;
}

import cluster, { type Worker } from 'node:cluster';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startMonitor } from '../integrity/monitor/loop.js';
import { shopMonitorToken } from '../integrity/monitor/identity.js';
import { seedDemoCatalog } from '../catalog/demo.js';
import { openDatabase } from '../db/index.js';
import { migrateToLatest } from '../db/migrate.js';
import type { Config } from './config.js';

/**
 * `npx mamori cluster` (`npm run cluster`): several shop processes behind one port, on one database.
 *
 * This process is a supervisor and the load balancer. It migrates the database (and seeds the demo
 * catalog into an empty one) once, starts the sandbox payment provider as its own process when
 * PAYMENT_PROVIDER=sandbox, and forks CLUSTER_WORKERS shop processes with Node's own `node:cluster`:
 * the workers share the listening socket and the supervisor hands each new connection to the next
 * worker (round-robin). A worker that dies — crash, OOM, `kill -9` — is replaced at once; the others
 * keep serving meanwhile. Nothing lives in a worker's memory that another needs: sessions, carts,
 * rate limits, the mail queue and job leases are in the database (see docs/operations-scale.md).
 *
 * Several workers need PostgreSQL (DATABASE_URL); on SQLite only one worker is allowed (one writer).
 * With `--json` the supervisor prints one JSON line per event on stdout (ready, worker started/exited)
 * and stops when its stdin closes: the load test drives it that way.
 */

export interface ClusterOptions {
  workers: number;
  json: boolean;
  /** Start the sandbox provider as a child process (default: when PAYMENT_PROVIDER=sandbox and PSP_EMBEDDED≠0). */
  psp: boolean;
}

/** `bin/mamori.js` of this checkout (from src/app, or from dist/src/app in a build). */
function binPath(): string {
  const here = import.meta.dirname;
  const root = here.split(/[\\/]/).includes('dist') ? join(here, '..', '..', '..') : join(here, '..', '..');
  return join(root, 'bin', 'mamori.js');
}

export function clusterOptionsFromEnv(env: NodeJS.ProcessEnv, json: boolean, config: Config): ClusterOptions {
  const raw = env.CLUSTER_WORKERS ?? '2';
  const workers = Number(raw);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new Error(`Invalid configuration:\n  CLUSTER_WORKERS: a whole number from 1 to 64, got "${raw}"`);
  if (workers > 1 && !config.databaseUrl) {
    throw new Error('Invalid configuration:\n  CLUSTER_WORKERS: several shop processes need PostgreSQL (set DATABASE_URL); on SQLite use CLUSTER_WORKERS=1 or `npm start`');
  }
  if (config.port === 0) throw new Error('Invalid configuration:\n  PORT: the cluster needs a fixed port (the workers share it)');
  return { workers, json, psp: config.paymentProvider === 'sandbox' && env.PSP_EMBEDDED !== '0' };
}

async function waitHealthy(url: string, timeoutMs: number, alive: () => boolean): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!alive()) throw new Error(`${url}: the process exited before it answered`);
    try {
      const res = await fetch(`${url}/healthz`);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url}: no answer within ${timeoutMs} ms`);
}

export async function runCluster(config: Config, opts: ClusterOptions): Promise<void> {
  const say = (event: Record<string, unknown>, text: string) => {
    if (opts.json) process.stdout.write(`${JSON.stringify({ ...event, at: Date.now() })}\n`);
    else console.warn(text);
  };

  // Once, before any worker starts: schema and (on an empty database) the demo catalog.
  const handle = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrateToLatest(handle.db);
    await seedDemoCatalog(handle.db, join(config.dataDir, 'media'));
  } finally {
    await handle.close();
  }

  let stopping = false;
  const childEnv = { ...process.env, MAMORI_DATA_DIR: config.dataDir };

  // The sandbox provider in its own process, restarted if it dies.
  let psp: ChildProcess | null = null;
  const pspUrl = config.psp.apiUrl;
  const startPspProcess = () => {
    const child = spawn(process.execPath, [...process.execArgv, binPath(), 'psp'], { env: childEnv, stdio: ['ignore', opts.json ? 'ignore' : 'inherit', 'inherit'] });
    psp = child;
    child.once('exit', (code, signal) => {
      if (stopping) return;
      say({ bench: 'psp', event: 'exit', pid: child.pid, code, signal }, `sandbox provider exited (${signal ?? code}); restarting`);
      setTimeout(startPspProcess, 500);
    });
    return child;
  };
  if (opts.psp) {
    const child = startPspProcess();
    await waitHealthy(pspUrl, 60_000, () => child.exitCode === null && child.signalCode === null);
  }

  // The shop workers: `mamori start` in each, the payment provider not embedded.
  cluster.setupPrimary({ exec: binPath(), args: ['start'], silent: opts.json });
  // The external monitor walks once for the whole cluster, from this supervisor (below), not in every worker.
  const workerEnv = { PSP_EMBEDDED: '0', MAMORI_DATA_DIR: config.dataDir, MONITOR: '0' };
  const started = new Map<number, number>();
  let restartDelay = 250;
  const fork = (): Worker => {
    const w = cluster.fork(workerEnv);
    started.set(w.id, Date.now());
    if (opts.json) {
      // Worker output goes to stderr, so stdout carries only the JSON event lines.
      w.process.stdout?.pipe(process.stderr);
      w.process.stderr?.pipe(process.stderr);
    }
    w.once('listening', () => say({ bench: 'worker', event: 'listening', pid: w.process.pid }, `shop worker ${w.process.pid} listening`));
    return w;
  };
  cluster.on('exit', (w, code, signal) => {
    if (stopping) return;
    const lived = Date.now() - (started.get(w.id) ?? 0);
    started.delete(w.id);
    // A worker that keeps dying at start (bad configuration, database down) is restarted more slowly.
    restartDelay = lived < 5000 ? Math.min(restartDelay * 2, 10_000) : 250;
    say({ bench: 'worker', event: 'exit', pid: w.process.pid, code, signal }, `shop worker ${w.process.pid} exited (${signal ?? code}); a new one starts in ${restartDelay} ms`);
    setTimeout(() => {
      if (!stopping) fork();
    }, restartDelay);
  });
  const first = Array.from({ length: opts.workers }, fork);
  await Promise.all(first.map((w) => new Promise<void>((resolve, reject) => {
    w.once('listening', () => resolve());
    w.once('exit', (code, signal) => reject(new Error(`shop worker exited at start (${signal ?? code})`)));
  })));
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
  await waitHealthy(url, 30_000, () => true);

  const monitor = config.monitor.enabled && existsSync(config.monitor.chromiumPath)
    ? await startMonitor({
      shopUrl: config.monitor.shopUrl ?? url, token: shopMonitorToken(config.monitor.token, config.secrets.cookieSecret),
      intervalSeconds: config.monitor.intervalSeconds, chromiumPath: config.monitor.chromiumPath, productPath: config.monitor.productPath,
    }).catch((err: unknown) => {
      say({ bench: 'monitor', event: 'not_started', error: String(err) }, `external monitor not started: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    })
    : null;

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say({ bench: 'stopping', signal }, `${signal}: stopping the shop workers and the payment provider…`);
    await monitor?.stop();
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    const exits = workers.map((w) => new Promise((resolve) => (w.isDead() ? resolve(null) : w.once('exit', resolve))));
    for (const w of workers) w.process.kill('SIGTERM');
    const force = setTimeout(() => workers.forEach((w) => w.process.kill('SIGKILL')), 15_000);
    await Promise.all(exits);
    clearTimeout(force);
    const p = psp as ChildProcess | null;
    if (p && p.exitCode === null && p.signalCode === null) {
      const exited = new Promise((resolve) => p.once('exit', resolve));
      p.kill('SIGTERM');
      await exited;
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  if (opts.json) {
    process.stdin.on('end', () => void stop('stdin closed'));
    process.stdin.on('error', () => void stop('stdin closed'));
    process.stdin.resume();
  }

  const pids = first.map((w) => w.process.pid);
  const pspPid = (psp as ChildProcess | null)?.pid ?? null;
  say(
    { bench: 'ready', url, pid: process.pid, workers: pids, pspUrl: opts.psp ? config.psp.publicUrl : null, pspPid, dataDir: config.dataDir, database: config.databaseUrl ? 'postgres' : 'sqlite' },
    `Mamori cluster: ${opts.workers} shop process${opts.workers > 1 ? 'es' : ''} (${pids.join(', ')}) on ${config.databaseUrl ? 'PostgreSQL' : 'SQLite'} behind ${url}` +
      (opts.psp ? `; sandbox payment provider ${config.psp.publicUrl} (pid ${pspPid})` : ''),
  );
}

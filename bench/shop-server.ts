/**
 * The shop under benchmark, in its own process: the real shop (SQLite, demo catalog, sandbox
 * payment provider) on a free port, exactly as the integration tests start it, with production-like
 * quiet logging. Prints one JSON line `{"bench":"ready","url":…,"pid":…}` on stdout once listening.
 *
 * Stops cleanly on SIGTERM/SIGINT or when its stdin closes (the parent went away), so a profile
 * started with `--cpu-prof` is written and the temporary data directory is removed.
 *
 * With BENCH_PROFILE_FILE set, SIGUSR2 starts the V8 CPU profiler and the next SIGUSR2 stops it and
 * writes the profile there (then prints `{"bench":"profile","file":…}`): a profile of exactly the
 * load window, without start-up (see bench/profile.ts).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { startTestShop } from '../test/helpers/shop.js';

const shop = await startTestShop({
  env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', MAMORI_INTEGRITY: 'off', CARD_ATTEMPTS_PER_IP: '100000000', CARD_ATTEMPTS_PER_SESSION: '100000000' },
});

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const force = setTimeout(() => process.exit(code), 5000);
  force.unref();
  try {
    await shop.close();
  } catch (err) {
    console.error('bench shop: close failed', err);
  }
  process.exit(code);
}

process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
process.stdin.on('end', () => void stop(0));
process.stdin.on('error', () => void stop(0));
process.stdin.resume();

const profileFile = process.env.BENCH_PROFILE_FILE;
if (profileFile) {
  const session = new Session();
  session.connect();
  let profiling = false;
  const toggle = async () => {
    if (!profiling) {
      profiling = true;
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_PROFILE_INTERVAL_US ?? '250') });
      await session.post('Profiler.start');
    } else {
      profiling = false;
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(profileFile, JSON.stringify(profile));
      process.stdout.write(`${JSON.stringify({ bench: 'profile', file: profileFile })}\n`);
    }
  };
  process.on('SIGUSR2', () => {
    toggle().catch((err: unknown) => console.error('bench shop: profiler failed', err));
  });
}

process.stdout.write(`${JSON.stringify({ bench: 'ready', url: shop.url, pid: process.pid, dataDir: shop.dataDir, pspUrl: shop.pspUrl })}\n`);

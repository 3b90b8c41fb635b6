import { parseArgs } from 'node:util';
import { stderrLogger } from '../logger.js';
import { loadMonitorConfig } from './config.js';
import { createMonitor, type RunReport } from './loop.js';

/**
 * `npx mamori monitor [--once] [--url URL]` and `npx mamori monitor token`. On another host than
 * the shop it needs only MONITOR_SHOP_URL (or --url) and MONITOR_TOKEN; next to the shop it takes
 * both from the shop's configuration (`shop`).
 */
const out = (line: string) => void process.stdout.write(`${line}\n`);

export async function monitorCommand(args: string[], shop: (() => { url: string; token: string }) | null): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { once: { type: 'boolean', default: false }, url: { type: 'string' } } });
  const config = loadMonitorConfig();
  if (positionals[0] === 'token') {
    if (!shop) {
      console.error('Run this next to the shop (it reads the shop\'s configuration).');
      return 2;
    }
    out(shop().token);
    return 0;
  }
  if (positionals.length) {
    console.error('Usage: npx mamori monitor [--once] [--url URL] | npx mamori monitor token');
    return 2;
  }
  const fromShop = !config.token || !(values.url ?? config.shopUrl) ? shop?.() : null;
  const shopUrl = (values.url ?? config.shopUrl ?? fromShop?.url ?? '').replace(/\/$/, '');
  const token = config.token ?? fromShop?.token ?? '';
  if (!/^https?:\/\//.test(shopUrl) || !token) {
    console.error('Set MONITOR_SHOP_URL (or --url) and MONITOR_TOKEN (printed by `npx mamori monitor token` on the shop host).');
    return 2;
  }
  const monitor = await createMonitor({ shopUrl, token, intervalSeconds: config.intervalSeconds, chromiumPath: config.chromiumPath, productPath: config.productPath, logger: stderrLogger });
  const print = (r: RunReport) => {
    const reached = r.observation.steps.map((s) => s.step).join(' → ');
    out(`${r.observation.finishedAt} walked ${reached || '(nothing)'}${r.observation.error ? ` — stopped: ${r.observation.error}` : ''}`);
    if (r.postError) out(`  not reported: ${r.postError}`);
    else if (r.result) {
      out(`  ${r.result.outcome}${r.result.baseline === 'none' ? ' (no baseline approved yet: approve one on the admin security page)' : ''}`);
      for (const d of r.result.differences) out(`  [${d.severity}] ${d.kind} (${d.step}): ${d.message}`);
    }
  };
  if (values.once) {
    const r = await monitor.runOnce();
    print(r);
    await monitor.stop();
    return r.postError ? 1 : r.result?.differences.some((d) => d.severity === 'critical') ? 3 : 0;
  }
  out(`Monitoring ${shopUrl} every ${config.intervalSeconds} s (Chromium: ${config.chromiumPath}).`);
  const loop = async () => {
    for (;;) {
      const started = Date.now();
      try {
        print(await monitor.runOnce());
      } catch (err) {
        console.error(`walk failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      await new Promise((r) => setTimeout(r, Math.max(0, config.intervalSeconds * 1000 - (Date.now() - started))));
    }
  };
  const stop = () => {
    void monitor.stop().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  void loop();
  return -1;
}

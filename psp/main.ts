/**
 * Runs the sandbox PSP on its own: `node --import tsx psp/main.ts`.
 * Reads the shop's configuration (PSP_PORT, default 3100; PSP_PUBLIC_URL; HOST; MAMORI_DATA_DIR;
 * PSP_API_KEY and PSP_WEBHOOK_SECRET, or the generated `<dataDir>/secrets.json` the shop also reads),
 * so the shop and the PSP agree on the API key and webhook secret without further setup.
 */
import { loadConfig } from '../src/app/config.js';
import { startPsp } from './server.js';

const config = loadConfig();
const psp = await startPsp({
  host: config.host,
  port: config.psp.port,
  dataDir: config.dataDir,
  apiKey: config.secrets.pspApiKey,
  webhookSecret: config.secrets.pspWebhookSecret,
  // With PSP_PORT=0 the configured URL cannot know the port: use the bound one.
  publicUrl: config.psp.port === 0 ? undefined : config.psp.publicUrl,
  logLevel: config.logLevel,
});

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    psp.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('PSP shutdown failed', err);
        process.exit(1);
      },
    );
  });
}

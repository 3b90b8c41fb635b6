import { spawn, type ChildProcess } from 'node:child_process';
import type { PspHandle } from '../../psp/server.js';

export const CHILD_SECRETS = {
  MAMORI_COOKIE_SECRET: 'child-test-cookie-secret-0123456789abcdef',
  PSP_API_KEY: 'sk_sandbox_child_0123456789abcdef',
  PSP_WEBHOOK_SECRET: 'whsec_child_0123456789abcdef',
};

/**
 * The shop as a real child process (`node bin/mamori.js start`) on SQLite in `dataDir`, talking to a
 * sandbox provider that the test runs itself. `output` collects everything the process printed.
 */
export class ChildShop {
  private child: ChildProcess | null = null;
  readonly output: string[] = [];

  constructor(
    readonly dataDir: string,
    readonly port: number,
    readonly psp: PspHandle,
    private readonly extraEnv: Record<string, string> = {},
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts `mamori start` and waits until /healthz answers (up to `timeoutMs`). */
  async start(timeoutMs = 30_000): Promise<void> {
    const child = spawn(process.execPath, ['bin/mamori.js', 'start'], {
      env: {
        ...process.env, ...CHILD_SECRETS, MAMORI_DATA_DIR: this.dataDir, PORT: String(this.port), HOST: '127.0.0.1', PUBLIC_URL: this.url,
        PSP_EMBEDDED: '0', PSP_PUBLIC_URL: this.psp.publicUrl, LOG_LEVEL: 'warn', NODE_ENV: 'test', CARD_ATTEMPTS_PER_IP: '1000', ...this.extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (b: Buffer) => this.output.push(b.toString('utf8')));
    child.stderr?.on('data', (b: Buffer) => this.output.push(b.toString('utf8')));
    this.child = child;
    for (const until = Date.now() + timeoutMs; Date.now() < until;) {
      try {
        if ((await fetch(`${this.url}/healthz`)).ok) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`shop did not start:\n${this.output.join('')}`);
  }

  /** kill -9: no shutdown hook runs. */
  async kill9(): Promise<void> {
    const c = this.child;
    this.child = null;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }
}

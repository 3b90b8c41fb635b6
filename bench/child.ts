import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** A server started in its own Node process, ready to take requests. */
export interface ServerChild {
  name: string;
  url: string;
  pid: number;
  /** Everything the child said in its ready line (e.g. its data directory). */
  info: Record<string, unknown>;
  proc: ChildProcess;
  /** SIGTERM, then SIGKILL if the process has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();

/** Kills every child still running (synchronously usable from an 'exit' handler). */
export function killAllChildren(signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const proc of live) {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
  }
}

// Children stop themselves (and remove their data directories) on SIGTERM or when their stdin
// closes; SIGKILL is only for one that has not gone within a few seconds.
process.once('exit', () => killAllChildren('SIGTERM'));
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    console.error(`\nbench: ${sig}, stopping child processes`);
    const waiting = [...live].map((proc) => new Promise((resolve) => proc.once('exit', resolve)));
    killAllChildren('SIGTERM');
    const force = setTimeout(() => killAllChildren('SIGKILL'), 5000);
    void Promise.all(waiting).then(() => {
      clearTimeout(force);
      process.exit(130);
    });
  });
}

/**
 * Runs `node [nodeArgs] --import tsx <script> [args]` and waits for the JSON line
 * `{"bench":"ready","url":…,"pid":…}` on its stdout. Every other stdout line is passed on to stderr.
 * The child's stdin is a pipe it watches: when this process goes away, the child stops itself.
 */
export async function startChild(opts: {
  name: string;
  script: string;
  args?: string[];
  nodeArgs?: string[];
  env?: Record<string, string>;
  cwd: string;
  timeoutMs?: number;
  /** Later `{"bench":…}` lines from the child (e.g. a written profile). */
  onMessage?: (msg: { bench: string; [key: string]: unknown }) => void;
}): Promise<ServerChild> {
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', opts.script, ...(opts.args ?? [])], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  live.add(proc);
  const exited = new Promise<void>((resolve) => {
    proc.once('exit', () => {
      live.delete(proc);
      resolve();
    });
  });
  proc.stdin?.on('error', () => undefined);

  const ready = await new Promise<{ url: string; pid: number; info: Record<string, unknown> }>((resolve, reject) => {
    let settled = false;
    const done = (err: Error | null, value?: { url: string; pid: number; info: Record<string, unknown> }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value as { url: string; pid: number; info: Record<string, unknown> });
    };
    const timer = setTimeout(() => done(new Error(`${opts.name}: not ready within ${opts.timeoutMs ?? 60_000} ms`)), opts.timeoutMs ?? 60_000);
    const lines = createInterface({ input: proc.stdout! });
    lines.on('line', (line) => {
      if (line.startsWith('{"bench":')) {
        try {
          const msg = JSON.parse(line) as { bench: string; url?: string; pid?: number; [key: string]: unknown };
          if (!settled && msg.bench === 'ready' && typeof msg.url === 'string' && typeof msg.pid === 'number') {
            done(null, { url: msg.url, pid: msg.pid, info: msg });
            return;
          }
          if (settled && opts.onMessage) {
            opts.onMessage(msg);
            return;
          }
        } catch {
          // not ours: a log line
        }
      }
      process.stderr.write(`[${opts.name}] ${line}\n`);
    });
    proc.once('error', (err) => done(new Error(`${opts.name}: could not start: ${err.message}`)));
    proc.once('exit', (code, signal) => done(new Error(`${opts.name}: exited before it was ready (code ${code}, signal ${signal})`)));
  }).catch(async (err: unknown) => {
    proc.kill('SIGKILL');
    await exited;
    throw err;
  });

  return {
    name: opts.name,
    url: ready.url,
    pid: ready.pid,
    info: ready.info,
    proc,
    async stop(graceMs = 15_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Samples a process's resident set size from /proc (Linux) at a fixed interval; keeps the peak. */
export class RssSampler {
  private timer: NodeJS.Timeout | null = null;
  peakKb = 0;
  samples = 0;
  readonly supported: boolean;

  constructor(private readonly pid: number) {
    this.supported = this.read() !== null;
  }

  read(): number | null {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
      return m ? Number(m[1]) : null;
    } catch {
      return null;
    }
  }

  private sample(): void {
    const kb = this.read();
    if (kb === null) return;
    this.samples++;
    if (kb > this.peakKb) this.peakKb = kb;
  }

  start(intervalMs = 250): void {
    if (!this.supported || this.timer) return;
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
  }

  get peakMb(): number | null {
    return this.supported ? this.peakKb / 1024 : null;
  }
}

/**
 * CPU time (user + system, all threads) a process has used so far, in ms, from /proc/<pid>/stat;
 * null where /proc is not available. Clock ticks are taken as 100 Hz (USER_HZ on Linux).
 */
export function readCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (2nd field) may contain spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) * 10 : null;
  } catch {
    return null;
  }
}

/** Summaries of a V8 .cpuprofile: self and inclusive time by function, by source file and by package. */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
export interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

/** Where a frame's code lives: a package, a file of this repository, Node's internals or V8. */
function area(cf: CallFrame): string {
  const url = cf.url;
  if (!url) return cf.functionName.startsWith('(') ? cf.functionName : '(native)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const parts = url.slice(nm + 14).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
  }
  const root = url.indexOf(ROOT);
  return root !== -1 ? url.slice(root + ROOT.length + 1) : url;
}

function frameName(cf: CallFrame): string {
  const fn = cf.functionName || '(anonymous)';
  return cf.url ? `${fn}  ${area(cf)}:${cf.lineNumber + 1}` : fn;
}

export function summarise(profile: CpuProfile, top = 30): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // timeDeltas[i] is the time before sample i; the time of sample i is the next delta.
  const weights = profile.samples.map((_, i) => profile.timeDeltas[i + 1] ?? 0);
  const total = weights.reduce((a, b) => a + b, 0);
  const selfFn = new Map<string, number>();
  const selfArea = new Map<string, number>();
  const inclFn = new Map<string, number>();
  const inclArea = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);

  profile.samples.forEach((id, i) => {
    const w = weights[i] ?? 0;
    const leaf = byId.get(id);
    if (!leaf) return;
    add(selfFn, frameName(leaf.callFrame), w);
    add(selfArea, area(leaf.callFrame), w);
    const fns = new Set<string>();
    const areas = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur);
      if (!node || node.callFrame.functionName === '(root)') continue;
      fns.add(frameName(node.callFrame));
      areas.add(area(node.callFrame));
    }
    for (const f of fns) add(inclFn, f, w);
    for (const a of areas) add(inclArea, a, w);
  });

  const pct = (v: number) => `${((100 * v) / total).toFixed(1).padStart(5)} %`;
  const ms = (v: number) => `${(v / 1000).toFixed(0).padStart(6)} ms`;
  const table = (title: string, m: Map<string, number>, n: number, filter: (k: string) => boolean = () => true) =>
    [title, ...[...m].filter(([k]) => filter(k)).sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `  ${pct(v)} ${ms(v)}  ${k}`)].join('\n');
  const own = (k: string) => k.includes('  src/') || k.includes('  bench/') || k.includes('  test/') || k.includes('  psp/');
  return [
    `profiled ${(total / 1e6).toFixed(2)} s of the shop's main thread (${profile.samples.length} samples)`,
    '',
    table('self time by package / file:', selfArea, top),
    '',
    table('inclusive time by package / file (a frame of it anywhere on the stack):', inclArea, top),
    '',
    table('self time by function:', selfFn, top),
    '',
    table('inclusive time, functions of this repository:', inclFn, top, own),
    '',
    table('inclusive time, all functions:', inclFn, top),
  ].join('\n');
}

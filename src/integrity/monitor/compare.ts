import type { AlertSeverity } from '../../alerts/tables.js';
import { looksLikeCardField, PAYMENT_PATH_STEPS, type Observation, type ScriptFact, type StepFact, type StepName } from './observation.js';

/**
 * The comparison of a walk with the approved baseline (pure: no database, no browser). Each
 * difference becomes one alert; the kinds are the ones `response.ts` knows, so the critical ones
 * suspend card payments.
 */

export type DifferenceKind =
  | 'unknown_script_payment_path'
  | 'unknown_host_payment_path'
  | 'form_action_changed'
  | 'redirect_target_changed'
  | 'card_field_on_shop_page'
  | 'security_header_changed'
  | 'monitor_change';

export interface Difference {
  kind: DifferenceKind;
  severity: AlertSeverity;
  step: StepName | 'redirect';
  /** Stable identity of the difference (the dedupe key of its alert). */
  key: string;
  /** One line for people. */
  message: string;
  /** A readable diff: `- before` / `+ after` lines. */
  diff: string[];
}

const STEP_LABELS: Record<StepName | 'redirect', string> = {
  product: '商品ページ', cart: 'カート', checkout: 'ご購入手続き（入力）', confirm: 'ご注文内容の確認',
  interstitial: '確認後・決済代行会社の前のページ', provider: '決済代行会社のページ', redirect: '決済代行会社への移動',
};

export function stepLabel(step: StepName | 'redirect'): string {
  return STEP_LABELS[step];
}

function scriptKey(s: ScriptFact): string {
  return s.kind === 'external' ? `${s.kind} ${s.src ?? ''} ${s.sha384 ?? '(not loaded)'}` : `${s.kind} ${s.src ?? ''} ${s.sha384 ?? ''}`;
}

function scriptLine(s: ScriptFact): string {
  if (s.kind === 'external') return `script ${s.src ?? '?'} sha384-${s.sha384 ?? '(not loaded)'}`;
  return `${s.kind} script${s.src ? ` ${s.src}` : ''} sha384-${s.sha384 ?? '?'}${s.sample ? ` «${s.sample.slice(0, 120)}»` : ''}`;
}

const EMPTY_STEP = (step: StepName, origin: string): StepFact => ({
  step, origin, path: '', status: 0, headers: {}, scripts: [], iframes: [], forms: [], inputs: [], requestOrigins: [], blocked: [],
});

/**
 * What a step the baseline never had is compared with: the scripts and hosts of every baseline page
 * of the shop (a page of its own is still the shop's), and no forms or inputs (each is reported).
 */
function unseenStepBase(baseline: Observation, step: StepName): StepFact {
  const base = EMPTY_STEP(step, baseline.shopOrigin);
  for (const s of baseline.steps) {
    if (s.step === 'provider') continue;
    base.scripts.push(...s.scripts);
    base.requestOrigins.push(...s.requestOrigins);
  }
  return base;
}

function severityFor(step: StepName, critical: boolean): AlertSeverity {
  return critical && PAYMENT_PATH_STEPS.has(step) ? 'critical' : 'warning';
}

/** Origins the page reached or tried to reach: requests, iframes, CSP-blocked loads. */
function hostsOf(s: StepFact): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of s.requestOrigins) out.set(o, 'request');
  for (const f of s.iframes) {
    try {
      const o = new URL(f).origin;
      if (!out.has(o)) out.set(o, 'iframe');
    } catch {
      // about:blank, srcdoc: not a host
    }
  }
  for (const b of s.blocked) {
    try {
      const o = new URL(b.uri).origin;
      if (!out.has(o)) out.set(o, `blocked by CSP (${b.directive})`);
    } catch {
      // 'inline', 'eval': covered by the script comparison
    }
  }
  return out;
}

// --- CSP -----------------------------------------------------------------------------------

export function parseCsp(value: string | undefined): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  if (!value) return out;
  for (const part of value.split(',')[0]!.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (!name) continue;
    const key = name.toLowerCase();
    if (!out.has(key)) out.set(key, new Set(sources.map((s) => (s.startsWith("'") ? s.toLowerCase() : s))));
  }
  return out;
}

const REPORTING = new Set(['report-uri', 'report-to']);
/** Directives whose presence restricts (no sources): removing them loosens the policy. */
const FALLBACK: Record<string, string> = {
  'script-src-elem': 'script-src', 'script-src-attr': 'script-src', 'style-src-elem': 'style-src', 'style-src-attr': 'style-src',
  'script-src': 'default-src', 'style-src': 'default-src', 'img-src': 'default-src', 'connect-src': 'default-src', 'font-src': 'default-src',
  'object-src': 'default-src', 'frame-src': 'child-src', 'child-src': 'default-src', 'worker-src': 'script-src', 'media-src': 'default-src', 'manifest-src': 'default-src',
};

/**
 * How a policy changed: `loosened` when a directive that restricted something is gone (and nothing
 * as strict replaces it) or a directive now allows a source it did not ('unsafe-inline', a host, *).
 */
export function compareCsp(before: string | undefined, after: string | undefined): { loosened: string[]; tightened: string[] } {
  const b = parseCsp(before);
  const a = parseCsp(after);
  const loosened: string[] = [];
  const tightened: string[] = [];
  if (b.size > 0 && a.size === 0) return { loosened: ['the Content-Security-Policy header is gone'], tightened };
  for (const [name, sources] of b) {
    if (REPORTING.has(name)) {
      if (!a.has(name)) loosened.push(`${name} removed: violations are no longer reported`);
      continue;
    }
    const now = a.get(name);
    if (!now) {
      const fallback = FALLBACK[name];
      const inherited = fallback ? a.get(fallback) ?? (FALLBACK[fallback] ? a.get(FALLBACK[fallback]) : undefined) : undefined;
      // Covered by its fallback directive, allowing nothing the removed one did not ('none' allows nothing).
      if (inherited && [...inherited].every((s) => sources.has(s) || s === "'none'")) continue;
      loosened.push(`${name} removed (was: ${[...sources].join(' ') || '(no value)'})`);
      continue;
    }
    const added = [...now].filter((s) => !sources.has(s));
    const removed = [...sources].filter((s) => !now.has(s));
    if (added.length) loosened.push(`${name} now also allows ${added.join(' ')}`);
    if (removed.length) tightened.push(`${name} no longer allows ${removed.join(' ')}`);
  }
  for (const name of a.keys()) if (!b.has(name)) tightened.push(`${name} added`);
  return { loosened, tightened };
}

// --- The comparison --------------------------------------------------------------------------

/** Card fields on a page of the shop's own origin: alerted on every walk, with or without a baseline. */
export function cardFieldFindings(obs: Observation): Difference[] {
  const out: Difference[] = [];
  for (const s of obs.steps) {
    if (s.step === 'provider' || s.origin !== obs.shopOrigin) continue;
    const fields = s.inputs.filter(looksLikeCardField);
    if (fields.length === 0) continue;
    out.push({
      kind: 'card_field_on_shop_page', severity: 'critical', step: s.step, key: `${s.step}:${s.path}`,
      message: `ショップのページ（${stepLabel(s.step)} ${s.path}）にカード情報の入力欄があります。偽の決済フォーム（スキミング）の可能性があります。`,
      diff: fields.map((f) => `+ input name=${f.name} type=${f.type}${f.autocomplete ? ` autocomplete=${f.autocomplete}` : ''} form=${f.form ?? '(none)'}`),
    });
  }
  return out;
}

/** Every difference between the approved baseline and this walk. */
export function compareObservations(baseline: Observation, obs: Observation): Difference[] {
  const out: Difference[] = [...cardFieldFindings(obs)];
  const before = new Map(baseline.steps.map((s) => [s.step, s]));
  const seen = new Set<StepName>();
  for (const cur of obs.steps) {
    seen.add(cur.step);
    if (cur.step === 'provider') continue; // the provider's own page is not ours to baseline: its origin is compared below
    compareStep(before.get(cur.step) ?? unseenStepBase(baseline, cur.step), cur, out);
  }
  // Steps the walk no longer reached (other than those skipped while card payments are suspended).
  const skipped = obs.cardUnavailable ? new Set<StepName>(['confirm', 'interstitial', 'provider']) : new Set<StepName>();
  if (!obs.error) {
    for (const s of baseline.steps) {
      if (seen.has(s.step) || skipped.has(s.step)) continue;
      if (s.step === 'provider') continue; // reported as a changed redirect target below
      out.push({ kind: 'monitor_change', severity: 'warning', step: s.step, key: `missing:${s.step}`, message: `${stepLabel(s.step)}が表示されなくなりました。`, diff: [`- step ${s.step} ${s.path}`] });
    }
  }
  // Where confirming the order takes the buyer.
  const reachedConfirm = obs.steps.some((s) => s.step === 'confirm');
  const confirmedBefore = baseline.providerOrigin !== null;
  if (confirmedBefore && reachedConfirm && !obs.cardUnavailable && (obs.providerOrigin !== baseline.providerOrigin || obs.steps.some((s) => s.step === 'interstitial') !== baseline.steps.some((s) => s.step === 'interstitial'))) {
    const interstitial = obs.steps.find((s) => s.step === 'interstitial');
    const target = obs.providerOrigin ?? (interstitial ? `${interstitial.origin}${interstitial.path}（ショップのページ）` : '(not reached)');
    out.push({
      kind: 'redirect_target_changed', severity: 'critical', step: 'redirect', key: `provider:${target}`,
      message: `ご注文確定後の移動先が変わりました: ${baseline.providerOrigin ?? '?'} → ${target}`,
      diff: [`- ${baseline.providerOrigin ?? '(none)'}`, `+ ${target}`],
    });
  } else if (!obs.cardUnavailable && obs.providerOrigin && obs.providerOrigin === baseline.providerOrigin) {
    const b = baseline.redirects.map((r) => `${r.from} ${r.status} → ${r.to}`);
    const a = obs.redirects.map((r) => `${r.from} ${r.status} → ${r.to}`);
    if (b.join('\n') !== a.join('\n')) {
      out.push({ kind: 'monitor_change', severity: 'warning', step: 'redirect', key: `redirects:${a.join('|')}`, message: '決済代行会社への移動の経路が変わりました（移動先のオリジンは同じです）。', diff: [...b.map((l) => `- ${l}`), ...a.map((l) => `+ ${l}`)] });
    }
  }
  return out;
}

function compareStep(base: StepFact, cur: StepFact, out: Difference[]): void {
  const step = cur.step;
  const where = `${stepLabel(step)}（${cur.path}）`;

  // Scripts: anything not in the baseline (by URL and hash, or by inline hash) is unknown.
  const baseScripts = new Set(base.scripts.map(scriptKey));
  const curScripts = new Set(cur.scripts.map(scriptKey));
  for (const s of cur.scripts) {
    const k = scriptKey(s);
    if (baseScripts.has(k)) continue;
    baseScripts.add(k); // report a duplicated script once
    const sameSrc = s.kind === 'external' ? base.scripts.find((b) => b.kind === 'external' && b.src === s.src) : undefined;
    out.push({
      kind: 'unknown_script_payment_path', severity: severityFor(step, true), step, key: `${step}:${k}`,
      message: sameSrc
        ? `${where}のスクリプトの内容が変わりました: ${s.src ?? ''}`
        : `${where}に承認されていないスクリプトがあります: ${s.kind === 'external' ? s.src ?? '' : `${s.kind}（sha384-${s.sha384 ?? '?'}）`}`,
      diff: [...(sameSrc ? [`- ${scriptLine(sameSrc)}`] : []), `+ ${scriptLine(s)}`],
    });
  }
  const gone = base.scripts.filter((s) => !curScripts.has(scriptKey(s)) && !(s.kind === 'external' && cur.scripts.some((c) => c.kind === 'external' && c.src === s.src)));
  if (gone.length) out.push({ kind: 'monitor_change', severity: 'warning', step, key: `${step}:scripts-removed:${gone.map(scriptKey).join('|')}`, message: `${where}からスクリプトがなくなりました。`, diff: gone.map((s) => `- ${scriptLine(s)}`) });

  // Hosts the page talks to (or tried to: CSP-blocked loads count, the attempt is the finding).
  const baseHosts = hostsOf(base);
  for (const [origin, how] of hostsOf(cur)) {
    if (baseHosts.has(origin)) continue;
    out.push({
      kind: 'unknown_host_payment_path', severity: severityFor(step, true), step, key: `${step}:${origin}`,
      message: `${where}が承認されていない接続先に通信しました: ${origin}（${how}）`,
      diff: [`+ ${origin} (${how})`],
    });
  }

  // Forms and where they post.
  const formKey = (f: { action: string; method: string }) => `${f.method.toUpperCase()} ${f.action}`;
  const baseForms = new Set(base.forms.map(formKey));
  const curForms = new Set(cur.forms.map(formKey));
  const addedForms = [...curForms].filter((f) => !baseForms.has(f));
  const removedForms = [...baseForms].filter((f) => !curForms.has(f));
  for (const f of addedForms) {
    out.push({
      kind: 'form_action_changed', severity: severityFor(step, true), step, key: `${step}:${f}`,
      message: `${where}に送信先が承認されていないフォームがあります: ${f}`,
      diff: [...removedForms.map((r) => `- form ${r}`), `+ form ${f}`],
    });
  }
  if (addedForms.length === 0 && removedForms.length) {
    out.push({ kind: 'monitor_change', severity: 'warning', step, key: `${step}:forms-removed:${removedForms.join('|')}`, message: `${where}からフォームがなくなりました。`, diff: removedForms.map((r) => `- form ${r}`) });
  }

  // Input fields (card fields are reported by cardFieldFindings whatever the baseline says).
  const inputKey = (i: StepFact['inputs'][number]) => `${i.form ?? '-'} ${i.name} ${i.type} ${i.autocomplete}`;
  const baseInputs = new Set(base.inputs.map(inputKey));
  const curInputs = new Set(cur.inputs.map(inputKey));
  const addedInputs = cur.inputs.filter((i) => !baseInputs.has(inputKey(i)) && !looksLikeCardField(i));
  const removedInputs = [...baseInputs].filter((k) => !curInputs.has(k));
  if (addedInputs.length || removedInputs.length) {
    out.push({
      kind: 'monitor_change', severity: 'warning', step, key: `${step}:inputs:${[...new Set(addedInputs.map(inputKey))].join('|')}/${removedInputs.join('|')}`,
      message: `${where}の入力欄が変わりました。`,
      diff: [...removedInputs.map((k) => `- input ${k}`), ...[...new Set(addedInputs.map(inputKey))].map((k) => `+ input ${k}`)],
    });
  }

  // Security headers.
  if (base.status === 0) return; // a step the baseline never had: its content was compared above
  const bCsp = base.headers['content-security-policy'];
  const aCsp = cur.headers['content-security-policy'];
  if ((bCsp ?? '') !== (aCsp ?? '')) {
    const { loosened, tightened } = compareCsp(bCsp, aCsp);
    const critical = loosened.length > 0;
    out.push({
      kind: 'security_header_changed', severity: critical ? severityFor(step, true) : 'warning', step, key: `${step}:content-security-policy:${aCsp ?? '(none)'}`,
      message: `${where}の Content-Security-Policy が${critical ? (aCsp ? '緩められました' : '削除されました') : '変わりました'}: ${[...loosened, ...tightened].join('; ').slice(0, 300)}`,
      diff: [`- content-security-policy: ${bCsp ?? '(none)'}`, `+ content-security-policy: ${aCsp ?? '(none)'}`, ...loosened.map((l) => `! ${l}`)],
    });
  }
  for (const name of new Set([...Object.keys(base.headers), ...Object.keys(cur.headers)])) {
    if (name === 'content-security-policy') continue;
    const b = base.headers[name];
    const a = cur.headers[name];
    if (b === a) continue;
    // An Integrity-Policy that is gone or no longer enforced lets unlisted scripts run.
    const critical = name === 'integrity-policy' && b !== undefined && (a === undefined || !a.includes('script'));
    out.push({
      kind: 'security_header_changed', severity: critical ? severityFor(step, true) : 'warning', step, key: `${step}:${name}:${a ?? '(none)'}`,
      message: `${where}のセキュリティヘッダー ${name} が${a === undefined ? '削除されました' : b === undefined ? '追加されました' : '変わりました'}。`,
      diff: [`- ${name}: ${b ?? '(none)'}`, `+ ${name}: ${a ?? '(none)'}`],
    });
  }
}

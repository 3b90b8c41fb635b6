import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ShopSettings } from '../settings/defaults.js';
import {
  isSection, parseSection, SECTION_LABELS, SECTIONS, sectionValues, SettingsAdminService, type FormValues, type Section,
} from '../settings/admin-service.js';
import { redirect } from '../web/context.js';
import type { FormState } from './catalog-views.js';
import type { AdminRouteModule } from './plugin.js';
import { SettingsPage, type SectionForms } from './settings-views.js';

/** Posted values as the form shows them again: repeated keys (check boxes) one per line. */
function postedValues(body: unknown): FormValues {
  const out: FormValues = {};
  if (typeof body !== 'object' || body === null) return out;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (k === '_csrf') continue;
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v)) out[k] = v.filter((x): x is string => typeof x === 'string').join('\n');
  }
  return out;
}

/** Shop settings: owners only. Each section is saved on its own, audited with before/after. */
export const settingsAdminRoutes: AdminRouteModule = (app, pages) => {
  const services = pages.services;
  const admin = new SettingsAdminService(services.handle.db, services.settings, services.audit);

  const render = async (req: FastifyRequest, reply: FastifyReply, override: { section: Section; state: FormState } | null, notice: string | null, status = 200) => {
    const current: ShopSettings = await services.settings.get();
    const forms = Object.fromEntries(SECTIONS.map((s) => [s, { values: sectionValues(s, current), errors: {} }])) as SectionForms;
    if (override) forms[override.section] = override.state;
    return pages.render(req, reply, '設定', (c) => <SettingsPage c={c} forms={forms} notice={notice} />, status);
  };

  app.get('/settings', async (req, reply) => {
    if (!(await pages.require(req, reply, ['owner']))) return reply;
    const saved = (req.query as Record<string, unknown> | undefined)?.saved;
    return render(req, reply, null, isSection(saved) ? `${SECTION_LABELS[saved]}を保存しました。` : null);
  });

  app.post('/settings/:section', async (req, reply) => {
    const staff = await pages.require(req, reply, ['owner']);
    if (!staff) return reply;
    const section = (req.params as { section?: string }).section;
    if (!isSection(section)) {
      return pages.render(req, reply, '見つかりません', (c) => <p>この設定項目はありません。<a href={`${c.base}/settings`}>設定へ</a></p>, 404);
    }
    const parsed = parseSection(section, req.body);
    if (!parsed.ok) return render(req, reply, { section, state: { values: postedValues(req.body), errors: parsed.errors } }, null, 422);
    await admin.update(`staff:${staff.email}`, section, parsed.data);
    return redirect(reply, `${pages.base}/settings?saved=${section}#s-${section}`);
  });
};

import { z } from 'zod';
import type { AdminRouteModule } from '../admin/plugin.js';
import { staffActor } from '../admin/staff-service.js';
import { PrivacyPage } from './admin-views.js';
import type { RetentionCounts } from './retention.js';

const PER_PAGE = 50;
const listQuery = z
  .object({
    page: z.string().regex(/^\d{1,5}$/, 'ページ番号が正しくありません。').transform(Number).refine((n) => n >= 1, 'ページ番号が正しくありません。').optional(),
    done: z.string().regex(/^\d{1,9}(,\d{1,9}){4}$/).optional(),
  })
  .strict();

const COUNT_KEYS: (keyof RetentionCounts)[] = ['guestOrders', 'withdrawnMembers', 'memberOrders', 'catalogRequests', 'outboxMails'];

/** 個人情報 (owner): retention plan and "run now", third-party provision records. */
export const privacyAdminRoutes: AdminRouteModule = (app, pages) => {
  const { services } = pages;

  app.get('/privacy', async (req, reply) => {
    const staff = await pages.require(req, reply, ['owner']);
    if (!staff) return reply;
    const parsed = listQuery.safeParse(req.query ?? {});
    if (!parsed.success) return pages.render(req, reply, '個人情報', () => <p>{parsed.error.issues[0]?.message ?? '条件が正しくありません。'}</p>, 400);
    const page = parsed.data.page ?? 1;
    const { counts, policy } = await services.retention.plan();
    const { rows, total } = await services.provisions.list({ limit: PER_PAGE, offset: (page - 1) * PER_PAGE });
    const pageCount = Math.max(1, Math.ceil(total / PER_PAGE));
    const done = parsed.data.done ? (Object.fromEntries(parsed.data.done.split(',').map((n, i) => [COUNT_KEYS[i], Number(n)])) as unknown as RetentionCounts) : null;
    await services.audit.append({ actor: staffActor(staff.email), action: 'privacy.provisions.list', target: null, detail: { page, shown: rows.map((r) => r.id) } });
    return pages.render(req, reply, '個人情報', (c) => <PrivacyPage c={c} policy={policy} plan={counts} provisions={rows} total={total} page={page} pages={pageCount} done={done} />);
  });

  app.post('/privacy/retention/run', async (req, reply) => {
    const staff = await pages.require(req, reply, ['owner']);
    if (!staff) return reply;
    const counts = await services.retention.run(staffActor(staff.email));
    return reply.redirect(`${pages.base}/privacy?done=${COUNT_KEYS.map((k) => counts[k]).join(',')}`, 303);
  });
};

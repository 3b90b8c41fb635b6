import { z } from 'zod';
import type { AlertTable } from '../alerts/tables.js';
import { OrderAdminService, type DailySales } from '../checkout/admin-service.js';
import { formatDateJa, formatInstantJa } from '../shared/time.js';
import { formatYen } from '../web/i18n.js';
import type { AdminCtx } from './layout.js';
import { Flash } from './orders-views.js';
import type { AdminRouteModule } from './plugin.js';

const dashboardQuery = z
  .object({
    days: z
      .string({ error: '表示期間の指定が正しくありません。' })
      .optional()
      .transform((v) => v ?? '30')
      .pipe(z.enum(['30', '90'], { error: '表示期間は30日または90日です。' }))
      .transform(Number),
  })
  .strict();

const SEVERITY_LABELS: Record<string, string> = { info: '情報', warning: '警告', critical: '重大' };

/** A round upper bound for the y axis: 1, 2 or 5 × 10^n, at least ¥1,000. */
export function niceMax(value: number): number {
  const v = Math.max(value, 1000);
  const pow = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * pow >= v) return m * pow;
  return 10 * pow;
}

function shortYen(n: number): string {
  if (n >= 10_000 && n % 10_000 === 0) return `${n / 10_000}万円`;
  if (n >= 10_000) return `${(n / 10_000).toFixed(1)}万円`;
  return `${n.toLocaleString('ja-JP')}円`;
}

/**
 * Sales per day as a bar chart drawn on the server: plain SVG, no script, every label escaped by
 * JSX. One bar per day (an empty day is a bar of height 0), axis labels, a title and a
 * description for screen readers, and the same numbers as a table.
 */
export function SalesChart(props: { data: DailySales[] }) {
  const { data } = props;
  const W = 760;
  const H = 260;
  const padL = 64;
  const padR = 12;
  const padT = 16;
  const padB = 40;
  const plotW = W - padL - padR;
  const plotH = H - padT - padB;
  const top = niceMax(Math.max(0, ...data.map((d) => d.totalYen)));
  const step = plotW / Math.max(1, data.length);
  const barW = Math.max(1, step * 0.7);
  const total = data.reduce((s, d) => s + d.totalYen, 0);
  const orders = data.reduce((s, d) => s + d.count, 0);
  const best = data.reduce<DailySales | null>((b, d) => (!b || d.totalYen > b.totalYen ? d : b), null);
  const first = data[0]?.date ?? '';
  const last = data.at(-1)?.date ?? '';
  const title = `日別売上（過去${data.length}日間）`;
  const desc = `${first ? formatDateJa(first) : ''}から${last ? formatDateJa(last) : ''}までの日別売上。合計 ${formatYen(total)}（${orders}件）${best && best.totalYen > 0 ? `、最多は${formatDateJa(best.date)}の${formatYen(best.totalYen)}` : ''}。`;
  const labelEvery = data.length > 45 ? 14 : 7;
  const y = (v: number) => padT + plotH - (v / top) * plotH;
  return (
    <figure class="sales-chart">
      <svg xmlns="http://www.w3.org/2000/svg" viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={`${title}。${desc}`} aria-describedby="sales-desc">
        <title>{title}</title>
        <desc id="sales-desc">{desc}</desc>
        {[0, 0.25, 0.5, 0.75, 1].map((f) => (
          <g class="grid-line">
            <line x1={padL} x2={W - padR} y1={y(top * f)} y2={y(top * f)} stroke="#d1d9e0" stroke-width="1" />
            <text x={padL - 6} y={y(top * f) + 4} text-anchor="end" font-size="11" fill="#59636e">{shortYen(top * f)}</text>
          </g>
        ))}
        {data.map((d, i) => {
          const h = (d.totalYen / top) * plotH;
          return (
            <rect class="bar" data-date={d.date} x={(padL + i * step + (step - barW) / 2).toFixed(1)} y={(padT + plotH - h).toFixed(1)} width={barW.toFixed(1)} height={h.toFixed(1)} fill="#1f5f8b">
              <title>{`${formatDateJa(d.date)}: ${formatYen(d.totalYen)}（${d.count}件）`}</title>
            </rect>
          );
        })}
        <line x1={padL} x2={W - padR} y1={padT + plotH} y2={padT + plotH} stroke="#59636e" stroke-width="1" />
        {data.map((d, i) =>
          (data.length - 1 - i) % labelEvery === 0 ? (
            <text x={(padL + i * step + step / 2).toFixed(1)} y={padT + plotH + 16} text-anchor="middle" font-size="11" fill="#59636e">
              {`${Number(d.date.slice(5, 7))}/${Number(d.date.slice(8, 10))}`}
            </text>
          ) : null,
        )}
        <text x={padL + plotW / 2} y={H - 4} text-anchor="middle" font-size="11" fill="#59636e">日付（日本時間）</text>
        <text x={12} y={padT + plotH / 2} text-anchor="middle" font-size="11" fill="#59636e" transform={`rotate(-90 12 ${padT + plotH / 2})`}>売上（税込）</text>
      </svg>
      <figcaption class="hint">{desc} カード・銀行振込は入金済み、代金引換は受付済みのご注文（キャンセル・決済待ちを除く）。返金は差し引いていません。</figcaption>
      <details>
        <summary>表で見る</summary>
        <table>
          <thead><tr><th>日付</th><th class="num">件数</th><th class="num">売上</th></tr></thead>
          <tbody>
            {data.map((d) => <tr><td>{formatDateJa(d.date)}</td><td class="num">{d.count}</td><td class="num">{formatYen(d.totalYen)}</td></tr>)}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

function Dashboard(props: {
  c: AdminCtx;
  days: number;
  canSeeOrders: boolean;
  today: { count: number; totalYen: number };
  unpaid: Awaited<ReturnType<OrderAdminService['unpaidBankTransfers']>>;
  lowStock: Awaited<ReturnType<OrderAdminService['lowStock']>>;
  alerts: AlertTable[];
  alertCount: number;
  card: { state: string; since: string | null; reason: string | null; actor: string | null };
  sales: DailySales[];
}) {
  const { c } = props;
  return (
    <>
      <div class="grid">
        <section class="panel" aria-labelledby="d-today">
          <h2 id="d-today">本日の注文</h2>
          <p class="stat" data-testid="today-count">{props.today.count}件</p>
          <p>合計 {formatYen(props.today.totalYen)}（日本時間の今日、キャンセル・決済待ちを除く）</p>
          {props.canSeeOrders ? <p><a href={`${c.base}/orders`}>注文一覧</a></p> : null}
        </section>
        <section class="panel" aria-labelledby="d-bank">
          <h2 id="d-bank">入金待ちの銀行振込</h2>
          <p class="stat">{props.unpaid.count}件</p>
          {props.unpaid.overdue > 0 ? <p><strong>振込期限を過ぎたもの: {props.unpaid.overdue}件</strong></p> : null}
          {props.unpaid.oldest ? (
            <p>
              最も古いもの:{' '}
              {props.canSeeOrders ? <a href={`${c.base}/orders/${props.unpaid.oldest.id}`}>{props.unpaid.oldest.order_number}</a> : props.unpaid.oldest.order_number}
              （{formatInstantJa(props.unpaid.oldest.placed_at)}、{formatYen(props.unpaid.oldest.total_yen)}）
            </p>
          ) : null}
          {props.canSeeOrders && props.unpaid.count > 0 ? <p><a href={`${c.base}/orders?status=new&payment=bank_transfer`}>入金待ちを一覧で見る</a></p> : null}
        </section>
        <section class="panel" aria-labelledby="d-card">
          <h2 id="d-card">カード決済</h2>
          {props.card.state === 'suspended' ? (
            <>
              <p class="stat">停止中</p>
              <p>{props.card.since ? formatInstantJa(props.card.since) : ''} から。理由: {props.card.reason ?? ''}（{props.card.actor ?? ''}）</p>
            </>
          ) : (
            <p class="stat">受付中</p>
          )}
        </section>
        <section class="panel" aria-labelledby="d-alerts">
          <h2 id="d-alerts">未対応のセキュリティアラート</h2>
          <p class="stat">{props.alertCount >= 100 ? '100件以上' : `${props.alertCount}件`}</p>
          {props.alerts.length > 0 ? (
            <ul>
              {props.alerts.map((a) => (
                <li>
                  <span class="tag">{SEVERITY_LABELS[a.severity] ?? a.severity}</span> {a.message}
                  <br /><small class="hint">{formatInstantJa(a.last_seen_at)}{a.count > 1 ? `（${a.count}回）` : ''}</small>
                </li>
              ))}
            </ul>
          ) : null}
          {c.staff && (c.staff.role === 'owner' || c.staff.role === 'security') ? <p><a href={`${c.base}/security`}>セキュリティ画面へ</a></p> : null}
        </section>
      </div>
      <section class="panel" aria-labelledby="d-sales">
        <h2 id="d-sales">日別売上</h2>
        <nav aria-label="表示期間" class="filters">
          {[30, 90].map((n) => (
            <a class={`btn small ${props.days === n ? '' : 'secondary'}`} href={`${c.base}/?days=${n}`} aria-current={props.days === n ? 'page' : undefined}>過去{n}日</a>
          ))}
        </nav>
        <SalesChart data={props.sales} />
      </section>
      <section class="panel" aria-labelledby="d-stock">
        <h2 id="d-stock">在庫が少ない商品（5個以下）</h2>
        {props.lowStock.length === 0 ? <p>ありません。</p> : (
          <table>
            <thead><tr><th>商品</th><th>SKU</th><th class="num">在庫</th></tr></thead>
            <tbody>
              {props.lowStock.map((v) => (
                <tr>
                  <td>{props.canSeeOrders ? <a href={`${c.base}/products/${v.product_id}`}>{v.product_name} {v.variant_name}</a> : `${v.product_name} ${v.variant_name}`}</td>
                  <td>{v.sku}</td>
                  <td class="num">{v.stock === 0 ? '在庫切れ' : v.stock}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

/** The console's start page: today's business, what needs attention, and sales per day. */
export const dashboardRoutes: AdminRouteModule = (app, pages) => {
  const { services } = pages;
  const admin = new OrderAdminService(services.handle.db, services.orders, services.payments, services.settings, services.audit);

  app.get('/', async (req, reply) => {
    const staff = await pages.require(req, reply, ['owner', 'staff', 'security']);
    if (!staff) return reply;
    const parsed = dashboardQuery.safeParse(req.query ?? {});
    if (!parsed.success) {
      return pages.render(req, reply, 'ダッシュボード', () => <Flash kind="error">{parsed.error.issues[0]?.message ?? 'パラメータが正しくありません。'}</Flash>, 400);
    }
    const days = parsed.data.days;
    const settings = await services.settings.get();
    const [today, unpaid, lowStock, alerts, card, sales] = await Promise.all([
      admin.todayStats(),
      admin.unpaidBankTransfers(settings.bank.dueDays),
      admin.lowStock(5, 20),
      services.alerts.listOpen(100),
      services.killSwitch.state(),
      admin.salesByDay(days),
    ]);
    return pages.render(req, reply, 'ダッシュボード', (c) => (
      <Dashboard
        c={c} days={days} canSeeOrders={staff.role !== 'security'} today={today} unpaid={unpaid} lowStock={lowStock}
        alerts={alerts.slice(0, 5)} alertCount={alerts.length} card={card} sales={sales}
      />
    ));
  });
};

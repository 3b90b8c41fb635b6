import type { FastifyInstance } from 'fastify';
import { formatYen } from '../web/i18n.js';
import { Layout } from '../web/layout.js';
import type { Pages } from '../web/page.js';
import type { ShopSettings } from './defaults.js';
import type { SettingsService } from './service.js';

/** Legal pages, filled from the shop's settings. */
function Tokushoho(s: ShopSettings) {
  const rows: [string, string][] = [
    ['販売業者', s.shop.company],
    ['運営責任者', s.shop.representative],
    ['所在地', `〒${s.shop.postalCode} ${s.shop.address}`],
    ['電話番号', `${s.shop.phone}（${s.shop.hours}）`],
    ['メールアドレス', s.shop.email],
    ['販売価格', '各商品ページに税込価格で表示しています。'],
    ['商品代金以外の必要料金', `送料（地域により${formatYen(Math.min(...Object.values(s.shipping.regionFeesYen)))}〜${formatYen(Math.max(...Object.values(s.shipping.regionFeesYen)))}、${formatYen(s.shipping.freeFromYen)}以上で無料）、代金引換手数料（${s.cod.feeTable.map((b) => `${formatYen(b.upToYen)}まで${formatYen(b.feeYen)}`).join('、')}）、銀行振込手数料`],
    ['お支払い方法', 'クレジットカード（決済代行会社のページで入力）、銀行振込（前払い）、代金引換'],
    ['お支払い時期', `クレジットカード: ご注文時 ／ 銀行振込: ご注文から${s.bank.dueDays}日以内 ／ 代金引換: 商品お受け取り時`],
    ['商品の引渡し時期', `ご注文（銀行振込はご入金確認）から3営業日以内に発送します。お届け日は${s.delivery.minDaysAhead}日後以降からご指定いただけます。`],
    ['返品・交換', s.legal.returns],
    ['適格請求書発行事業者登録番号', s.shop.invoiceRegistrationNumber],
  ];
  if (s.legal.extraTokushoho) rows.push(['その他', s.legal.extraTokushoho]);
  return rows;
}

export function legalRoutes(app: FastifyInstance, deps: { settings: SettingsService; pages: Pages }): void {
  const { settings, pages } = deps;
  app.get('/legal/tokushoho', async (req, reply) => {
    const s = await settings.get();
    return pages.render(req, reply, (v) => (
      <Layout v={v} title="特定商取引法に基づく表記" narrow>
        <div class="legal">
          <h1>特定商取引法に基づく表記</h1>
          <table>
            <tbody>{Tokushoho(s).map(([k, val]) => <tr><th>{k}</th><td>{val}</td></tr>)}</tbody>
          </table>
        </div>
      </Layout>
    ));
  });
  app.get('/legal/privacy', async (req, reply) => {
    const s = await settings.get();
    return pages.render(req, reply, (v) => (
      <Layout v={v} title="プライバシーポリシー" narrow>
        <div class="legal">
          <h1>プライバシーポリシー</h1>
          {s.legal.privacyPolicy.split('\n').map((p) => <p>{p}</p>)}
          <h2>お問い合わせ窓口</h2>
          <p>{s.legal.privacyContact}</p>
        </div>
      </Layout>
    ));
  });
  app.get('/legal/terms', async (req, reply) => {
    const s = await settings.get();
    return pages.render(req, reply, (v) => (
      <Layout v={v} title="ご利用規約" narrow>
        <div class="legal">
          <h1>ご利用規約</h1>
          {s.legal.terms.split('\n').map((p) => <p>{p}</p>)}
        </div>
      </Layout>
    ));
  });
}

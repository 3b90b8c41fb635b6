import type { ComponentChildren } from 'preact';
import type { Asset } from '../web/assets.js';
import type { StaffIdentity } from './sessions.js';

/** What every admin page knows. */
export interface AdminCtx {
  base: string;
  csrf: string;
  staff: StaffIdentity | null;
  shopName: string;
  cardSuspended: boolean;
  openAlerts: number;
  css: Asset;
  js: Asset;
  path: string;
}

const NAV: { href: string; label: string; roles: string[] }[] = [
  { href: '', label: 'ダッシュボード', roles: ['owner', 'staff', 'security'] },
  { href: '/orders', label: '注文', roles: ['owner', 'staff'] },
  { href: '/products', label: '商品', roles: ['owner', 'staff'] },
  { href: '/customers', label: '顧客', roles: ['owner', 'staff'] },
  { href: '/catalog-requests', label: 'カタログ請求', roles: ['owner', 'staff'] },
  { href: '/settings', label: '設定', roles: ['owner'] },
  { href: '/staff', label: 'スタッフ', roles: ['owner'] },
  { href: '/security', label: 'セキュリティ', roles: ['owner', 'security'] },
  { href: '/audit', label: '監査ログ', roles: ['owner', 'security'] },
  { href: '/incidents', label: 'インシデント', roles: ['owner', 'security'] },
  { href: '/privacy', label: '個人情報', roles: ['owner'] },
  { href: '/privacy/requests', label: '開示等の請求', roles: ['owner'] },
];

export function AdminLayout(props: { c: AdminCtx; title: string; children: ComponentChildren }) {
  const { c } = props;
  return (
    <html lang="ja">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex, nofollow" />
        <title>{`${props.title} | 管理 | ${c.shopName}`}</title>
        <link rel="stylesheet" href={c.css.url} integrity={c.css.integrity} />
        <script src={c.js.url} integrity={c.js.integrity} crossOrigin="anonymous" defer />
      </head>
      <body class="admin">
        <header class="admin-header">
          <a class="admin-brand" href={c.base || '/'}>{c.shopName} 管理</a>
          {c.staff?.mfaPassed ? (
            <nav class="admin-nav" aria-label="管理メニュー">
              {NAV.filter((n) => n.roles.includes(c.staff!.role)).map((n) => (
                <a href={`${c.base}${n.href}`} aria-current={c.path === `${c.base}${n.href}` ? 'page' : undefined}>{n.label}</a>
              ))}
            </nav>
          ) : null}
          {c.staff ? (
            <form method="post" action={`${c.base}/logout`} class="admin-logout">
              <input type="hidden" name="_csrf" value={c.csrf} />
              <span>{c.staff.name}（{ROLE_LABELS[c.staff.role]}）</span>
              <button type="submit" class="btn small secondary">ログアウト</button>
            </form>
          ) : null}
        </header>
        {c.staff?.mfaPassed && c.cardSuspended ? (
          <div class="admin-banner danger" role="alert">カード決済は停止中です。<a href={`${c.base}/security`}>セキュリティ</a></div>
        ) : null}
        {c.staff?.mfaPassed && c.openAlerts > 0 ? (
          <div class="admin-banner warn" role="status">未対応のセキュリティアラートが {c.openAlerts} 件あります。<a href={`${c.base}/security`}>確認する</a></div>
        ) : null}
        <main class="admin-main">
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

export const ROLE_LABELS: Record<string, string> = { owner: 'オーナー', staff: 'スタッフ', security: 'セキュリティ担当' };

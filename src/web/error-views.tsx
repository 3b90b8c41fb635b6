import { Layout } from './layout.js';
import type { ViewCtx } from './view.js';

export function ErrorPage(props: { v: ViewCtx; status: number; message: string }) {
  const title = props.status === 404 ? 'ページが見つかりません' : props.status >= 500 ? 'エラーが発生しました' : 'リクエストを処理できませんでした';
  return (
    <Layout v={props.v} title={title} narrow>
      <h1>{title}</h1>
      <p>{props.message}</p>
      <p>
        <a href="/">トップページへ戻る</a>
      </p>
    </Layout>
  );
}

/**
 * A page without the layout, for errors raised before the request has its page context (the PAN
 * tripwire refuses a card number in the query string in its first hook): the message as HTML,
 * not a JSON blob in the staff member's or buyer's browser.
 */
export function BareErrorPage(props: { status: number; message: string; home: string }) {
  return (
    <html lang="ja">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex, nofollow" />
        <title>リクエストを処理できませんでした</title>
      </head>
      <body>
        <main>
          <h1>リクエストを処理できませんでした</h1>
          <p role="alert">{props.message}</p>
          <p><a href={props.home}>戻る</a></p>
        </main>
      </body>
    </html>
  );
}

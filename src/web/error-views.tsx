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

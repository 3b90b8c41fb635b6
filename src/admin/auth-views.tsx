import type { ComponentChildren } from 'preact';
import type { AdminCtx } from './layout.js';
import { STAFF_PASSWORD_MIN } from './staff-service.js';

type Errors = Record<string, string>;

import { Csrf, Notice } from './components.js';

export { Csrf, Notice };

export function FormError(props: { errors: Errors }) {
  return props.errors._form ? <div class="alert alert-error" role="alert">{props.errors._form}</div> : null;
}


export interface AdminFieldProps {
  name: string;
  label: string;
  value?: string | null;
  error?: string | undefined;
  type?: string;
  required?: boolean;
  autoComplete?: string;
  hint?: string;
  maxLength?: number;
  inputMode?: 'text' | 'numeric' | 'email';
}

/** A labelled input with its error next to it (aria-describedby). */
export function AdminField(p: AdminFieldProps) {
  const id = `f-${p.name}`;
  const describedBy = [p.error ? `${id}-err` : '', p.hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class="field">
      <label for={id}>{p.label}</label>
      {p.hint ? <p class="hint" id={`${id}-hint`}>{p.hint}</p> : null}
      <input
        id={id} name={p.name} type={p.type ?? 'text'} value={p.value ?? ''} required={p.required} autoComplete={p.autoComplete}
        maxLength={p.maxLength ?? 200} inputMode={p.inputMode} aria-invalid={p.error ? 'true' : undefined} aria-describedby={describedBy}
      />
      {p.error ? <p class="field-error" id={`${id}-err`}>{p.error}</p> : null}
    </div>
  );
}

function CodeField(props: { error?: string | undefined; hint: string; label?: string }) {
  return (
    <AdminField
      name="code" label={props.label ?? '確認コード'} error={props.error} required autoComplete="one-time-code" inputMode="numeric" maxLength={20}
      hint={props.hint}
    />
  );
}

export function LoginView(props: { c: AdminCtx; values: Record<string, string>; errors: Errors; next: string; notice?: string | undefined }) {
  const { c } = props;
  return (
    <div class="panel">
      {props.notice ? <Notice kind="info">{props.notice}</Notice> : null}
      <FormError errors={props.errors} />
      <form method="post" action={`${c.base}/login`} novalidate>
        <Csrf c={c} />
        <input type="hidden" name="next" value={props.next} />
        <AdminField name="email" label="メールアドレス" type="email" value={props.values.email} error={props.errors.email} required autoComplete="username" maxLength={254} />
        <AdminField name="password" label="パスワード" type="password" error={props.errors.password} required autoComplete="current-password" maxLength={128} />
        <button type="submit" class="btn">次へ</button>
      </form>
      <p class="hint">続けて認証アプリの確認コードを入力します。ログインに続けて失敗するとアカウントは一定時間ロックされ、メールでお知らせします。</p>
    </div>
  );
}

export function TwoFactorView(props: { c: AdminCtx; errors: Errors; next: string }) {
  const { c } = props;
  return (
    <div class="panel">
      <FormError errors={props.errors} />
      <form method="post" action={`${c.base}/login/2fa`} novalidate>
        <Csrf c={c} />
        <input type="hidden" name="next" value={props.next} />
        <CodeField error={props.errors.code} hint="認証アプリに表示されている6桁のコードを入力してください。アプリを使えない場合は、リカバリーコード（例: ABCDE-12345）を入力できます。" />
        <button type="submit" class="btn">ログイン</button>
      </form>
    </div>
  );
}

export function SetupPasswordView(props: { c: AdminCtx; token: string; email: string; name: string; errors: Errors }) {
  const { c } = props;
  return (
    <div class="panel">
      <p>管理画面のアカウント <strong>{props.email}</strong> を設定します。まずお名前とパスワードを決めてください。次の画面で2要素認証（認証アプリ）を設定します。</p>
      <FormError errors={props.errors} />
      <form method="post" action={`${c.base}/setup`} novalidate>
        <Csrf c={c} />
        <input type="hidden" name="token" value={props.token} />
        <AdminField name="name" label="お名前" value={props.name} error={props.errors.name} required autoComplete="name" maxLength={60} />
        <AdminField
          name="password" label="パスワード" type="password" error={props.errors.password} required autoComplete="new-password" maxLength={128}
          hint={`${STAFF_PASSWORD_MIN}文字以上。よく使われるパスワードや、メールアドレスの一部を含むものは使えません。パスワード管理ソフトでの生成をおすすめします。`}
        />
        <AdminField name="password_confirm" label="パスワード（確認）" type="password" error={props.errors.password_confirm} required autoComplete="new-password" maxLength={128} />
        <button type="submit" class="btn">次へ（2要素認証の設定）</button>
      </form>
    </div>
  );
}

export function EnrolView(props: { c: AdminCtx; svg: string; secret: string; account: string; issuer: string; errors: Errors }) {
  const { c } = props;
  return (
    <div class="panel">
      <p>管理画面では2要素認証が必須です。スマートフォンの認証アプリ（Google Authenticator、Microsoft Authenticator、1Password など）で、次のQRコードを読み取ってください。</p>
      {/* Library output from our own data (the otpauth URI): an SVG with paths only, no script. */}
      <div class="qr" dangerouslySetInnerHTML={{ __html: props.svg }} />
      <p>QRコードを読み取れない場合は、次の情報を手入力してください。</p>
      <dl>
        <dt>アカウント</dt>
        <dd>{props.issuer}（{props.account}）</dd>
        <dt>キー（時間ベース）</dt>
        <dd><code class="secret">{props.secret}</code></dd>
      </dl>
      <FormError errors={props.errors} />
      <form method="post" action={`${c.base}/setup/2fa`} novalidate>
        <Csrf c={c} />
        <CodeField error={props.errors.code} hint="アプリに表示された6桁のコードを入力して、設定を確認します。" />
        <button type="submit" class="btn">確認して設定を完了</button>
      </form>
    </div>
  );
}

export function RecoveryCodesView(props: { c: AdminCtx; codes: string[] }) {
  const { c } = props;
  return (
    <div class="panel">
      <Notice kind="success">2要素認証を設定しました。</Notice>
      <p><strong>リカバリーコードは今回だけ表示します。</strong>スマートフォンを失くしたときなど、認証アプリの代わりに1回ずつ使えます。印刷するかパスワード管理ソフトに保存し、他人に見せないでください。</p>
      <ul class="codes">
        {props.codes.map((code) => <li><code>{code}</code></li>)}
      </ul>
      <p><a class="btn" href={c.base || '/'}>保存しました。管理画面へ進む</a></p>
    </div>
  );
}

export function MessageView(props: { children: ComponentChildren }) {
  return <div class="panel">{props.children}</div>;
}

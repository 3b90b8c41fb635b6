import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../app/config.js';
import { forbidden } from '../app/errors.js';
import { SessionService, SESSION_TTL_DAYS, type SessionState } from '../customers/sessions.js';
import { hmacBase64url, newToken, safeEqual } from '../shared/ids.js';
import { translator, type Lang, type Translate } from './i18n.js';

export const SESSION_COOKIE = 'mamori_sid';
const LANG_COOKIE = 'mamori_lang';

/**
 * Behind TLS the cookies carry the `__Host-` prefix: the browser then accepts them only with
 * Secure, Path=/ and no Domain, so neither a sibling subdomain nor a plain-http response can
 * plant or overwrite the visitor's session.
 */
export function visitorCookieNames(secure: boolean): { session: string; lang: string } {
  return secure ? { session: `__Host-${SESSION_COOKIE}`, lang: `__Host-${LANG_COOKIE}` } : { session: SESSION_COOKIE, lang: LANG_COOKIE };
}
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/** What every request knows about its visitor. */
export interface Visitor {
  token: string;
  /** SHA-256 of the token (computed on first use). */
  readonly tokenHash: string;
  /** The CSRF token for this visitor (computed on first use). */
  readonly csrfToken: string;
  lang: Lang;
  t: Translate;
  /** True when this request came without a session cookie (a first visit): it has no session row. */
  isNew: boolean;
  /** The session row, loaded once on first use. */
  session(): Promise<SessionState>;
  /** Replaces the cookie token (login, logout). */
  setToken(token: string): void;
}

declare module 'fastify' {
  interface FastifyRequest {
    visitor: Visitor;
  }
  interface FastifyContextConfig {
    /** false for endpoints that authenticate otherwise (provider webhooks, CSP reports). */
    csrf?: boolean;
  }
}

export function csrfFor(secret: string, token: string): string {
  return hmacBase64url(secret, `csrf:${token}`);
}

export function installRequestContext(app: FastifyInstance, config: Config, sessions: SessionService): void {
  const cookieOpts = {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: config.secureCookies,
    maxAge: SESSION_TTL_DAYS * 86_400,
  };

  const names = visitorCookieNames(config.secureCookies);
  app.decorateRequest('visitor', null as unknown as Visitor);

  // A returning visitor's token hash and CSRF token are pure functions of the cookie: keep the
  // last few thousand so a browsing visitor costs no hashing per page (bounded: cleared when full).
  const derived = new Map<string, { hash: string; csrf: string }>();
  const derive = (token: string): { hash: string; csrf: string } => {
    let d = derived.get(token);
    if (!d) {
      d = { hash: SessionService.hash(token), csrf: csrfFor(config.secrets.cookieSecret, token) };
      if (derived.size >= 20_000) derived.clear();
      derived.set(token, d);
    }
    return d;
  };

  app.addHook('onRequest', (req, reply, done) => {
    const raw = req.cookies[names.session];
    let token = raw && TOKEN_RE.test(raw) ? raw : '';
    const isNew = !token;
    if (!token) {
      token = newToken();
      reply.setCookie(names.session, token, cookieOpts);
    }
    const queryLang = (req.query as Record<string, unknown> | undefined)?.lang;
    let lang: Lang = req.cookies[names.lang] === 'en' ? 'en' : 'ja';
    if (queryLang === 'en' || queryLang === 'ja') {
      lang = queryLang;
      reply.setCookie(names.lang, lang, { ...cookieOpts, httpOnly: true });
    }
    let cached: Promise<SessionState> | null = null;
    let d: { hash: string; csrf: string } | null = null;
    const visitor: Visitor = {
      token,
      get tokenHash() {
        return (d ??= derive(visitor.token)).hash;
      },
      get csrfToken() {
        return (d ??= derive(visitor.token)).csrf;
      },
      lang,
      t: translator(lang),
      isNew,
      session() {
        cached ??= sessions.get(visitor.tokenHash).then((s) => s ?? { customerId: null, cartId: null });
        return cached;
      },
      setToken(next: string) {
        visitor.token = next;
        d = null;
        cached = null;
        reply.setCookie(names.session, next, cookieOpts);
      },
    };
    req.visitor = visitor;
    done();
  });

  // CSRF: every state-changing request carries the token derived from this visitor's cookie
  // (a form field or header), and a browser that says the request is cross-site is refused outright.
  app.addHook('preHandler', (req, _reply, done) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return done();
    if (req.routeOptions.config.csrf === false) return done();
    if (req.headers['sec-fetch-site'] === 'cross-site') return done(forbidden('他のサイトからの送信は受け付けていません。'));
    const body = req.body as Record<string, unknown> | undefined;
    const sent = typeof body?._csrf === 'string' ? body._csrf : req.headers['x-csrf-token'];
    if (typeof sent !== 'string' || !req.cookies[names.session] || !safeEqual(sent, req.visitor.csrfToken)) {
      return done(new CsrfError());
    }
    done();
  });
}

export class CsrfError extends Error {
  readonly statusCode = 403;
  constructor() {
    super('ページの有効期限が切れたか、不正な送信です。お手数ですが、もう一度操作してください。');
  }
}

export function redirect(reply: FastifyReply, url: string): FastifyReply {
  return reply.code(303).redirect(url);
}

export function isSafeLocalPath(path: unknown): path is string {
  return typeof path === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(path) && path.length < 512;
}

export type Req = FastifyRequest;

import type { FastifyReply } from 'fastify';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import type { Asset } from './assets.js';
import type { Lang, Translate } from './i18n.js';

/** What every page view knows; built once per request by `viewContext`. */
export interface ViewCtx {
  lang: Lang;
  t: Translate;
  csrf: string;
  path: string;
  shopName: string;
  cartCount: number;
  customerName: string | null;
  /**
   * Set when the page is rendered once for many visitors (see Pages.renderShared): the layout then
   * leaves these markers where per-visitor HTML goes, and they are filled for each request.
   */
  markers?: { cart: string; account: string } | undefined;
  assets: { css: Asset; js: Asset };
}

/** The one way pages are rendered: preact JSX to a string, auto-escaped. */
export function sendPage(reply: FastifyReply, node: VNode, status = 200): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(`<!doctype html>${renderToString(node)}`);
}

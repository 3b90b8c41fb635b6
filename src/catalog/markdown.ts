import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

// Raw HTML in Markdown is never passed through (html: false), and the output goes through an
// allow-list sanitiser as a second, independent layer: a description can format text, not run code.
const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: true });

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: ['h2', 'h3', 'h4', 'p', 'br', 'ul', 'ol', 'li', 'strong', 'em', 'blockquote', 'code', 'pre', 'hr', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'del'],
  allowedAttributes: { a: ['href', 'title'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowProtocolRelative: false,
  transformTags: {
    a: sanitizeHtml.simpleTransform('a', { rel: 'nofollow noopener noreferrer' }),
    h1: 'h2',
  },
};
SANITIZE.allowedAttributes = { a: ['href', 'title', 'rel'] };

const cache = new Map<string, string>();

/** Markdown → safe HTML. Memoised: descriptions change rarely and product pages are hot. */
export function renderMarkdown(source: string): string {
  const hit = cache.get(source);
  if (hit !== undefined) return hit;
  const html = sanitizeHtml(md.render(source), SANITIZE);
  if (cache.size > 500) cache.clear();
  cache.set(source, html);
  return html;
}

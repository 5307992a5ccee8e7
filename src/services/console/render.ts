import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PAGES, ROLE_LABELS, pagesFor, type PageId } from './pages.js';

/** The console's own templates and assets (beside the source; the same path from dist/ and src/). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CONSOLE_VIEWS = join(ROOT, 'src/services/console/views');
export const CONSOLE_ASSETS = join(ROOT, 'src/services/console/assets');
/** NHS England's design system: its `dist/` holds `nhsuk/…` templates, styles, scripts and images. */
const NHSUK_PACKAGE = dirname(createRequire(import.meta.url).resolve('nhsuk-frontend/package.json'));
export const NHSUK_DIST = join(NHSUK_PACKAGE, 'dist');
const NHSUK_VERSION = (JSON.parse(readFileSync(join(NHSUK_PACKAGE, 'package.json'), 'utf8')) as { version: string }).version;

const env = new nunjucks.Environment(new nunjucks.FileSystemLoader([CONSOLE_VIEWS, NHSUK_DIST]), { autoescape: true, throwOnUndefined: false });
env.addGlobal('nhsukCss', '/console/assets/nhsuk-frontend.css');
env.addGlobal('nhsukJs', `/console/assets/nhsuk/nhsuk-frontend-${NHSUK_VERSION}.min.js`);
env.addGlobal('assetPath', '/console/assets/nhsuk/assets');
function dateTime(value: unknown): string {
  if (value === null || value === undefined || value === '') return '';
  const date = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}
env.addFilter('dateTime', dateTime);
const escape = env.getFilter('escape') as (text: string) => { toString(): string };
/** The same, for a narrow table cell: it may wrap between the date and the time, never inside either (2026-12- / 06). */
env.addFilter('dateTimeCell', (value: unknown) => {
  const text = dateTime(value);
  const split = text.indexOf(' ');
  if (split < 0) return text;
  const part = (t: string) => `<span class="app-nowrap">${escape(t).toString()}</span>`;
  return new nunjucks.runtime.SafeString(`${part(text.slice(0, split))} ${part(text.slice(split + 1))}`);
});

declare module 'fastify' {
  interface FastifyRequest {
    /** A fresh nonce per response: the Content-Security-Policy allows scripts with it, and from the console's own origin. */
    cspNonce?: string;
  }
}

/** Navigation and account links for the signed-in person: only the pages their role may see. */
function frame(request: FastifyRequest, current: PageId | undefined) {
  const session = request.consoleSession;
  if (!session) return { nav: [], account: [] };
  const nav = pagesFor(session.person.role).map((p) => ({ href: p.path, text: p.title, current: p.id === current }));
  const account = [
    { text: `${session.person.name} (${ROLE_LABELS[session.person.role]})`, icon: true },
    { href: '/console/logout', text: 'Sign out' },
  ];
  return { nav, account, person: session.person, csrfToken: session.csrfToken };
}

export interface View {
  template: string;
  title: string;
  page?: PageId;
  status?: number;
  [name: string]: unknown;
}

export function render(request: FastifyRequest, reply: FastifyReply, view: View) {
  const html = env.render(view.template, { ...frame(request, view.page), ...view, cspNonce: request.cspNonce, pages: PAGES });
  return reply.code(view.status ?? 200).type('text/html; charset=utf-8').send(html);
}

export function renderFragment(request: FastifyRequest, template: string, context: Record<string, unknown>): string {
  return env.render(template, { ...frame(request, undefined), ...context, cspNonce: request.cspNonce });
}

/**
 * The design system's stylesheet without its @font-face rules: they load the Frutiger typeface
 * from assets.nhs.uk, which is licensed to NHS services, is not ours to serve, and which our CSP
 * (font-src 'self') refuses. The design system's font stack then falls back to Arial.
 */
export const NHSUK_CSS = readFileSync(join(NHSUK_DIST, 'nhsuk', `nhsuk-frontend-${NHSUK_VERSION}.min.css`), 'utf8')
  .replace(/@font-face\{[^}]*\}/g, '')
  .replace(/\/\*# sourceMappingURL=[^*]*\*\//, '');

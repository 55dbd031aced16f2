/** A tiny element builder: `h('a', { href: '/x' }, 'text', child)`; null/false children are skipped. */
type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (k === 'className') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of (children as Child[]).flat(Infinity as 1) as Child[]) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** An in-app link: the router intercepts clicks on `data-link` anchors. */
export const link = (href: string, ...children: (Child | Child[])[]) => h('a', { href, 'data-link': true }, ...children);

// Non-breaking hyphens and space: a date never wraps inside a table cell.
export const day = (ms: number | null | undefined) => (ms == null ? '–' : new Date(ms).toISOString().slice(0, 10).replace(/-/g, '\u2011'));
export const when = (ms: number | null | undefined) => (ms == null ? '–' : new Date(ms).toISOString().slice(0, 16).replace(/-/g, '\u2011').replace('T', '\u00a0'));

export function duration(ms: number | null | undefined): string {
  return durationText(ms).replace(' ', '\u00a0');
}

function durationText(ms: number | null | undefined): string {
  if (ms == null) return '–';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}

export function section(title: string, ...children: (Child | Child[])[]): HTMLElement {
  return h('section', { className: 'card' }, h('h2', {}, title), ...children);
}

export function table(head: (string | Node)[], rows: Child[][], attrs: Attrs = {}): HTMLTableElement {
  return h('table', attrs, h('thead', {}, h('tr', {}, head.map((x) => h('th', {}, x)))), h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))));
}

/** Resolves once the browser has painted what is on the page now (two animation frames). */
export function painted(): Promise<void> {
  return new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(() => res())));
}

/**
 * Mark the page as rendered with its data (the browser tests and the web benchmark wait for
 * this), with the time since the navigation started, as the browser measures it.
 */
export async function ready(page: string): Promise<void> {
  await painted();
  document.body.dataset.readyMs = String(Math.round(performance.now() - navigationStart));
  document.body.dataset.ready = page;
}

/** When the current page's navigation started: 0 for the document's load, later for in-app navigations. */
let navigationStart = 0;
export function startNavigation(first: boolean): void {
  navigationStart = first ? 0 : performance.now();
}

import './style.css';
import { h, startNavigation } from './dom.js';
import { go } from './nav.js';
import { graphPage } from './pages/graph.js';
import { peoplePage } from './pages/people.js';
import { personPage } from './pages/person.js';
import { runPage } from './pages/run.js';
import { syncPage } from './pages/sync.js';

/**
 * Kith's web view: a one-page app with path routing (/, /people/:id, /graph, /sync,
 * /sync/runs/:id). Each page renders into #app and marks `body[data-ready]` once its data is on
 * screen.
 */
type Page = (root: HTMLElement, params: Record<string, string>, query: URLSearchParams) => Promise<void>;
const ROUTES: [RegExp, string, Page][] = [
  [/^\/(?:people\/?)?$/, 'people', peoplePage],
  [/^\/people\/(?<id>[^/]+)$/, 'people', personPage],
  [/^\/graph$/, 'graph', graphPage],
  [/^\/sync$/, 'sync', syncPage],
  [/^\/sync\/runs\/(?<id>[^/]+)$/, 'sync', runPage],
];

let generation = 0;

async function render(): Promise<void> {
  const my = ++generation;
  startNavigation(my === 1);
  const root = document.getElementById('app')!;
  delete document.body.dataset.ready;
  const path = location.pathname;
  const match = ROUTES.map(([re, nav, page]) => ({ m: re.exec(path), nav, page })).find((r) => r.m);
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) a.classList.toggle('active', a.dataset.nav === match?.nav);
  const view = h('div', { className: 'page' });
  root.replaceChildren(view);
  if (!match) {
    view.append(h('p', { className: 'error' }, `No page at ${path}.`));
    return;
  }
  const params = Object.fromEntries(Object.entries(match.m!.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]));
  try {
    await match.page(view, params, new URLSearchParams(location.search));
  } catch (err) {
    if (my === generation) view.append(h('p', { className: 'error' }, (err as Error).message));
  }
}


document.addEventListener('click', (e) => {
  const a = (e.target as Element).closest?.('a[data-link]') as HTMLAnchorElement | null;
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  e.preventDefault();
  go(a.getAttribute('href')!);
});
window.addEventListener('popstate', () => void render());
void render();

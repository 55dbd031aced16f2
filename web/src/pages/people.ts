import { api, CHANNELS, type PeoplePage } from '../api.js';
import { day, h, link, ready } from '../dom.js';

/** People: search, sort by any column (on the server), page through. State lives in the URL query. */
const COLUMNS: { key: string; label: string; num: boolean }[] = [
  { key: 'name', label: 'Name', num: false },
  { key: 'strength', label: 'Strength', num: true },
  { key: 'last', label: 'Last contact', num: true },
  { key: 'total', label: 'Total', num: true },
  ...CHANNELS.map((c) => ({ key: c, label: c, num: true })),
];

export async function peoplePage(root: HTMLElement, _p: Record<string, string>, query: URLSearchParams): Promise<void> {
  const state = {
    q: query.get('q') ?? '',
    sort: query.get('sort') ?? 'strength',
    dir: '',
    page: Math.max(1, Number(query.get('page') ?? '1') || 1),
  };
  state.dir = query.get('dir') ?? (state.sort === 'name' ? 'asc' : 'desc');

  // The search box stays while the results under it change, so typing is never interrupted.
  const search = h('input', { type: 'search', placeholder: 'Search names, emails, phones', value: state.q, 'aria-label': 'search people', id: 'people-search' });
  const status = h('span', { className: 'muted' }, 'loading…');
  const results = h('div', {});
  root.append(h('div', { className: 'toolbar' }, h('h1', {}, 'People'), search, status), results);
  let timer: number | undefined;
  let latest = 0;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = window.setTimeout(async () => {
      state.q = search.value.trim();
      state.page = 1;
      history.replaceState(null, '', urlOf(state, {}));
      const my = ++latest;
      delete document.body.dataset.ready;
      const data = await fetchPage(state);
      if (my !== latest) return; // a later keystroke's answer wins
      renderResults(results, status, state, data);
      await ready('people');
    }, 250);
  });
  renderResults(results, status, state, await fetchPage(state));
  await ready('people');
}

type State = { q: string; sort: string; dir: string; page: number };
const LIMIT = 50;

function urlOf(st: State, o: Partial<State>): string {
  const s = new URLSearchParams(Object.entries({ ...st, ...o }).map(([k, v]) => [k, String(v)]));
  if (!s.get('q')) s.delete('q');
  return `/?${s}`;
}

function fetchPage(st: State): Promise<PeoplePage> {
  return api<PeoplePage>(`/api/people?${new URLSearchParams({ ...(st.q ? { q: st.q } : {}), sort: st.sort, dir: st.dir, page: String(st.page), limit: String(LIMIT) })}`);
}

function renderResults(box: HTMLElement, status: HTMLElement, st: State, data: PeoplePage): void {
  const from = data.total === 0 ? 0 : (st.page - 1) * LIMIT + 1;
  const to = Math.min(data.total, st.page * LIMIT);
  status.textContent = `${from}–${to} of ${data.total.toLocaleString('en')}`;
  const head = COLUMNS.map((c) => {
    const active = c.key === st.sort;
    const nextDir = active ? (st.dir === 'desc' ? 'asc' : 'desc') : c.num ? 'desc' : 'asc';
    return h('th', { className: `${c.num ? 'num' : ''} ${active ? 'sorted' : ''}` }, link(urlOf(st, { sort: c.key, dir: nextDir, page: 1 }), c.label, active ? (st.dir === 'desc' ? ' ▼' : ' ▲') : ''));
  });
  const rows = data.people.map((p) =>
    h(
      'tr',
      {},
      h('td', {}, link(`/people/${encodeURIComponent(p.id)}`, p.name || p.email || p.id), p.name && p.email ? h('div', { className: 'muted small' }, p.email) : null),
      h('td', { className: 'num' }, p.strength == null ? '–' : p.strength.toFixed(1)),
      h('td', { className: 'num' }, day(p.lastInteractionAt)),
      h('td', { className: 'num' }, p.total),
      CHANNELS.map((c) => h('td', { className: 'num' }, p.counts[c] || '')),
    ),
  );
  const pages = Math.max(1, Math.ceil(data.total / LIMIT));
  box.replaceChildren(
    h('table', { className: 'people', id: 'people-table' }, h('thead', {}, h('tr', {}, head)), h('tbody', {}, rows)),
    data.people.length === 0 ? h('p', { className: 'muted' }, st.q ? `Nobody matches “${st.q}”.` : 'No people yet: run `kith sync`.') : '',
    h(
      'div',
      { className: 'pager' },
      st.page > 1 ? link(urlOf(st, { page: st.page - 1 }), '← previous') : h('span', { className: 'muted' }, '← previous'),
      h('span', {}, `page ${st.page} of ${pages}`),
      st.page < pages ? link(urlOf(st, { page: st.page + 1 }), 'next →') : h('span', { className: 'muted' }, 'next →'),
    ),
  );
}

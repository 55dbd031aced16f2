import { api, CHANNELS, type PeoplePage } from '../api.js';
import { day, h, link, ready } from '../dom.js';
import { go } from '../nav.js';

/** People: search, sort by any column (on the server), page through. State lives in the URL query. */
const COLUMNS: { key: string; label: string; num: boolean }[] = [
  { key: 'name', label: 'Name', num: false },
  { key: 'strength', label: 'Strength', num: true },
  { key: 'last', label: 'Last contact', num: true },
  { key: 'total', label: 'Total', num: true },
  ...CHANNELS.map((c) => ({ key: c, label: c, num: true })),
];

export async function peoplePage(root: HTMLElement, _p: Record<string, string>, query: URLSearchParams): Promise<void> {
  const q = query.get('q') ?? '';
  const sort = query.get('sort') ?? 'strength';
  const dir = query.get('dir') ?? (sort === 'name' ? 'asc' : 'desc');
  const page = Math.max(1, Number(query.get('page') ?? '1') || 1);
  const limit = 50;
  const url = (o: Record<string, string | number>) => {
    const s = new URLSearchParams({ q, sort, dir, page: String(page), ...Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)])) });
    if (!s.get('q')) s.delete('q');
    return `/?${s}`;
  };

  const search = h('input', { type: 'search', placeholder: 'Search names, emails, phones', value: q, 'aria-label': 'search people', id: 'people-search' });
  let timer: number | undefined;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => go(url({ q: search.value.trim(), page: 1 }), true), 250);
  });
  const status = h('span', { className: 'muted' }, 'loading…');
  root.append(h('div', { className: 'toolbar' }, h('h1', {}, 'People'), search, status));
  if (q) setTimeout(() => { search.focus(); search.setSelectionRange(q.length, q.length); });

  const data = await api<PeoplePage>(`/api/people?${new URLSearchParams({ ...(q ? { q } : {}), sort, dir, page: String(page), limit: String(limit) })}`);
  const from = data.total === 0 ? 0 : (page - 1) * limit + 1;
  const to = Math.min(data.total, page * limit);
  status.textContent = `${from}–${to} of ${data.total.toLocaleString('en')}`;

  const head = COLUMNS.map((c) => {
    const active = c.key === sort;
    const nextDir = active ? (dir === 'desc' ? 'asc' : 'desc') : c.num ? 'desc' : 'asc';
    return h('th', { className: `${c.num ? 'num' : ''} ${active ? 'sorted' : ''}` }, link(url({ sort: c.key, dir: nextDir, page: 1 }), c.label, active ? (dir === 'desc' ? ' ▼' : ' ▲') : ''));
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
  const pages = Math.max(1, Math.ceil(data.total / limit));
  root.append(
    h('div', {},
    h('table', { className: 'people', id: 'people-table' }, h('thead', {}, h('tr', {}, head)), h('tbody', {}, rows)),
    data.people.length === 0 ? h('p', { className: 'muted' }, q ? `Nobody matches “${q}”.` : 'No people yet: run `kith sync`.') : null,
    h(
      'div',
      { className: 'pager' },
      page > 1 ? link(url({ page: page - 1 }), '← previous') : h('span', { className: 'muted' }, '← previous'),
      h('span', {}, `page ${page} of ${pages}`),
      page < pages ? link(url({ page: page + 1 }), 'next →') : h('span', { className: 'muted' }, 'next →'),
    )),
  );
  await ready('people');
}

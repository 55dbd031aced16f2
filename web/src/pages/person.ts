import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api, ApiError, CHANNELS, type Channel, type Monthly, type Person, type Timeline, type TimelineItem, type Trail } from '../api.js';
import { day, h, link, ready, section, table, when } from '../dom.js';

/** Person: identities, sources, counts, monthly chart, often-with, timeline, contact trail, and the search panel's slot. */
export const CHANNEL_COLOURS: Record<Channel, string> = { email: '#2563eb', meeting: '#16a34a', message: '#d97706', mention: '#9333ea', call: '#dc2626' };

export async function personPage(root: HTMLElement, params: Record<string, string>): Promise<void> {
  const id = encodeURIComponent(params.id!);
  const [p, monthly, timeline] = await Promise.all([api<Person>(`/api/people/${id}`), api<Monthly>(`/api/people/${id}/monthly`), api<Timeline>(`/api/people/${id}/timeline?limit=30`)]);
  const name = p.name || p.emails[0] || p.phones[0] || p.id;
  root.append(
    h(
      'div',
      { className: 'person-head' },
      h('h1', {}, name),
      h('div', { className: 'muted' }, [p.jobTitle, p.company].filter(Boolean).join(' at ') || null),
      p.mergedInto ? h('p', { className: 'warning' }, 'Merged into ', link(`/people/${encodeURIComponent(p.mergedInto)}`, p.mergedInto), '.') : null,
      h(
        'div',
        { className: 'facts' },
        fact('strength', p.strength == null ? '–' : p.strength.toFixed(1)),
        fact('interactions', p.total),
        fact('first', day(p.firstInteractionAt)),
        fact('last', day(p.lastInteractionAt)),
        p.category ? fact('category', p.category) : null,
      ),
    ),
  );
  const grid = h('div', { className: 'grid' });
  root.append(grid);
  const chartBox = h('div', { className: 'chart', id: 'monthly-chart' });
  grid.append(
    section('Interactions per month', chartBox),
    section(
      'Counts per channel',
      table(
        ['channel', 'count'],
        CHANNELS.map((c) => [h('span', {}, h('span', { className: 'swatch', style: `background:${CHANNEL_COLOURS[c]}` }), ' ', c), p.counts[c]]),
        { id: 'channel-counts' },
      ),
      h('p', { className: 'muted small' }, 'sources: ', p.sources.join(', ') || '–'),
    ),
    section(
      'Identities',
      p.emails.length ? h('p', {}, 'emails: ', p.emails.join(', ')) : null,
      p.phones.length ? h('p', {}, 'phones: ', p.phones.join(', ')) : null,
      table(
        ['source', 'id', 'names, emails, phones, handles'],
        p.entities.map((e) => [e.source, h('code', { 'data-ref': e.externalId }, e.externalId, e.pinned ? ' (pinned)' : ''), [...e.names, ...e.emails, ...e.phones, ...e.handles].join(', ')]),
        { id: 'identities' },
      ),
    ),
    section(
      'Most often with',
      p.relationships.length
        ? table(
            ['person', 'meetings', 'threads', 'messages', 'last seen'],
            p.relationships.map((r) => [link(`/people/${encodeURIComponent(r.personId)}`, r.name || r.personId), r.events, r.threads, r.messages, day(r.lastSeenAt)]),
            { id: 'often-with' },
          )
        : h('p', { className: 'muted' }, 'Nobody shares threads, meetings or chats with them yet.'),
    ),
  );
  const timelineBox = h('ol', { className: 'timeline', id: 'timeline' });
  const more = h('button', { type: 'button' }, 'older');
  grid.append(section('Timeline', timelineBox, more));
  let next = timeline.next;
  const add = (items: TimelineItem[]) => timelineBox.append(...items.map(timelineItem));
  add(timeline.items);
  if (!timeline.items.length) timelineBox.append(h('li', { className: 'muted' }, 'No interactions.'));
  more.hidden = !next;
  more.addEventListener('click', async () => {
    if (!next) return;
    const t = await api<Timeline>(`/api/people/${id}/timeline?limit=50&before=${next.before}&before_id=${next.before_id}`);
    add(t.items);
    next = t.next;
    more.hidden = !next;
  });

  const trailBox = h('div', { id: 'contact-trail' }, h('p', { className: 'muted' }, 'loading…'));
  grid.append(section('Contact trail', trailBox));
  // The search index's findings about this person: filled only when a search API answers.
  const searchSlot = h('section', { className: 'card', id: 'search-panel', hidden: true });
  grid.append(searchSlot);

  await drawChart(chartBox, monthly);
  await ready('person');
  void api<Trail>(`/api/people/${id}/contact-trail`).then(
    (t) => trailBox.replaceChildren(renderTrail(t, p)),
    (e: Error) => trailBox.replaceChildren(h('p', { className: 'error' }, e.message)),
  );
  void fillSearchPanel(searchSlot, id);
}

function fact(label: string, value: string | number): HTMLElement {
  return h('div', { className: 'fact' }, h('div', { className: 'value' }, value), h('div', { className: 'label' }, label));
}

function timelineItem(i: TimelineItem): HTMLElement {
  // The identity it came through, in the Identities table above (scrolled to, not routed).
  const ref = i.entityRef
    ? h('a', { href: '#identities', className: 'ref', title: 'the identity it came through', onclick: (e: Event) => { e.preventDefault(); showIdentity(i.entityRef!); } }, i.entityRef)
    : null;
  return h(
    'li',
    { className: `ch-${i.sourceType}` },
    h('span', { className: 'when' }, when(i.occurredAt)),
    h('span', { className: 'src' }, i.sourceType),
    h('span', { className: 'title' }, i.title || '(no title)'),
    i.snippet ? h('div', { className: 'snippet' }, i.snippet) : null,
    h('div', { className: 'muted small' }, 'from ', h('code', {}, `${i.sourceType}:${i.externalId}`), ref ? [' via ', ref] : null),
  );
}

function showIdentity(ref: string): void {
  const cell = [...document.querySelectorAll<HTMLElement>('#identities code')].find((c) => c.dataset.ref === ref);
  (cell ?? document.getElementById('identities'))?.scrollIntoView({ block: 'center' });
  cell?.closest('tr')?.classList.add('flash');
}

/** Stacked bars: each channel drawn as the running total up to it, the largest first so every layer shows; the legend shows each channel's own count. */
async function drawChart(box: HTMLElement, m: Monthly): Promise<void> {
  const chans = CHANNELS.filter((c) => m.channels[c]);
  if (!m.months.length) {
    box.append(h('p', { className: 'muted' }, 'No interactions to chart.'));
    return;
  }
  const { default: UPlot } = await import('uplot');
  const xs = m.months.map((k) => Date.UTC(Number(k.slice(0, 4)), Number(k.slice(5, 7)) - 1, 1) / 1000);
  const own = chans.map((c) => m.channels[c]!);
  const stacked = own.map((_, i) => xs.map((_x, j) => own.slice(0, i + 1).reduce((a, s) => a + s[j]!, 0)));
  const order = chans.map((_, i) => i).reverse();
  const bars = UPlot.paths.bars!({ size: [0.8, 40], align: 0 });
  const opts: uPlot.Options = {
    width: Math.max(320, box.clientWidth || 560),
    height: 220,
    scales: { x: { time: true } },
    axes: [{}, { label: 'interactions' }],
    series: [
      {},
      ...order.map((i) => ({
        label: chans[i],
        stroke: CHANNEL_COLOURS[chans[i]!],
        fill: CHANNEL_COLOURS[chans[i]!],
        width: 0,
        paths: bars,
        points: { show: false },
        value: (_u: uPlot, _v: number, _s: number, idx: number | null) => (idx == null ? '–' : String(own[i]![idx])),
      })),
    ],
  };
  new UPlot(opts, [xs, ...order.map((i) => stacked[i]!)], box);
}

function renderTrail(t: Trail, p: Person): Node {
  if (!t.contacts.length) return h('p', { className: 'muted' }, 'Not a contact in the hub (no canonical contact is linked to this person).');
  return h(
    'div',
    {},
    t.contacts.map((c) =>
      h(
        'div',
        { className: 'trail' },
        h('h3', {}, `contact ${c.contactId}`, p.contacts.find((x) => x.contactId === c.contactId)?.deletedAt ? ' (deleted)' : ''),
        h('h4', {}, 'versions'),
        table(
          ['version', 'when', 'from', 'by way of', 'changed', 'held by', 'seen in'],
          c.versions.map((v) => [
            v.version == null ? '?' : `v${v.version}`,
            v.at,
            v.by,
            v.origin ?? '–',
            v.changed.length ? v.changed.join(', ') : '–',
            v.heldBy.length ? v.heldBy.join(', ') : '–',
            v.seenIn + (v.deleted ? ' (deleted)' : ''),
          ]),
          { className: 'trail-versions' },
        ),
        h('p', { className: 'muted small' }, 'Every version the canonical store kept, newest first: the system the change came from, the way it reached Kith, and the systems that last held it.'),
        h('h4', {}, 'in each system'),
        table(
          ['system', 'id there', 'version there', 'state', 'synced', 'pending'],
          c.systems.map((s) => [
            `${s.system}${s.role === 'canonical' ? ' (canonical)' : ''}`,
            s.externalId ?? '–',
            s.lastVersion == null ? '–' : `v${s.lastVersion}`,
            h('span', { className: `state state-${s.state.replace(' ', '-')}` }, s.state),
            when(s.lastSyncedAt),
            s.pending ? `v${s.pending.version} since ${when(s.pending.since)}${s.pending.lastError ? ` (${s.pending.lastError})` : ''}` : '–',
          ]),
        ),
        c.conflicts.length ? table(['conflict', 'between', 'state'], c.conflicts.map((x) => [x.id, `${x.a} / ${x.b}`, x.open ? 'open' : 'resolved'])) : null,
      ),
    ),
  );
}

/** A snippet with the search's `**…**` highlights as <mark>. */
function highlighted(snippet: string): (Node | string)[] {
  return snippet.split('**').map((part, i) => (i % 2 ? h('mark', {}, part) : part));
}

interface SearchHit {
  people: string[];
  source: string;
  at: string;
  title: string;
  snippet: string;
  ref: string;
}

/** The search index's panel: what the index holds that concerns this person, newest first (GET /api/search?person=). */
async function fillSearchPanel(slot: HTMLElement, id: string): Promise<void> {
  try {
    const r = await api<{ hits?: SearchHit[] }>(`/api/search?person=${id}&limit=10`);
    if (!r.hits?.length) return;
    slot.append(
      h('h2', {}, 'What the search index finds'),
      h(
        'ul',
        { className: 'search-hits' },
        r.hits.map((x) =>
          h(
            'li',
            {},
            h('strong', {}, x.title || x.ref),
            h('span', { className: 'muted' }, ` · ${x.source} · ${x.at.slice(0, 10)}`, x.people.length ? ` · with ${x.people.join(', ')}` : ''),
            x.snippet ? h('div', { className: 'snippet' }, highlighted(x.snippet)) : null,
            h('div', { className: 'muted ref' }, x.ref),
          ),
        ),
      ),
    );
    slot.hidden = false;
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
  }
}

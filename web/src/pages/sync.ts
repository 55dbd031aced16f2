import { api, type Hub, type Review, type RunSummary, type Source } from '../api.js';
import { duration, h, link, ready, section, table, when } from '../dom.js';

/** Sync: run history, sources' freshness, the hub's systems, the review list and open conflicts with their actions. */
export async function syncPage(root: HTMLElement): Promise<void> {
  const [runs, sources, hub, reviews] = await Promise.all([
    api<{ runs: RunSummary[] }>('/api/sync/runs?limit=30'),
    api<{ sources: Source[] }>('/api/sync/sources'),
    api<Hub>('/api/hub'),
    api<{ reviews: Review[] }>('/api/reviews'),
  ]);
  root.append(h('h1', {}, 'Sync'));
  const grid = h('div', { className: 'grid' });
  root.append(grid);
  grid.append(
    section(
      'Runs',
      runs.runs.length
        ? table(
            ['run', 'kind', 'status', 'started', 'duration', 'steps'],
            runs.runs.map((r) => [
              link(`/sync/runs/${encodeURIComponent(r.id)}`, r.id),
              r.kind,
              h('span', { className: `status status-${r.status}` }, r.status),
              when(r.startedAt),
              duration(r.durationMs),
              Object.entries(r.steps).map(([s, n]) => `${n} ${s}`).join(', '),
            ]),
            { id: 'runs' },
          )
        : h('p', { className: 'muted' }, 'No runs yet: `kith sync` starts one.'),
    ),
    section(
      'Sources',
      sources.sources.length
        ? table(
            ['source', 'last success', 'age', 'records', 'failures', 'problem'],
            sources.sources.map((s) => [
              s.id,
              when(s.lastSuccessAt),
              h('span', { className: freshness(s.ageMs) }, duration(s.ageMs)),
              s.records,
              s.failureCount || '',
              s.lastError ?? s.lastWarning ?? (s.skipped ? `${s.skipped} malformed records skipped` : ''),
            ]),
            { id: 'sources' },
          )
        : h('p', { className: 'muted' }, 'No source has been collected yet.'),
    ),
    section(
      `Contact hub (canonical: ${hub.canonical})`,
      table(
        ['system', 'role', 'last success', 'pending', 'oldest pending', 'open conflicts', 'errors', 'drift'],
        hub.systems.map((s) => [
          s.system,
          s.role,
          s.last_success ? s.last_success.slice(0, 16).replace('T', ' ') : 'never',
          s.pending,
          s.oldest_pending_age_s == null ? '–' : duration(s.oldest_pending_age_s * 1000),
          s.open_conflicts,
          s.errors ? `${s.errors}${s.last_error ? `: ${s.last_error}` : ''}` : '',
          s.drift_pct == null ? '–' : `${s.drift_pct}%`,
        ]),
        { id: 'hub-systems' },
      ),
    ),
    reviewsSection(reviews.reviews),
    conflictsSection(hub),
  );
  await ready('sync');
}

function freshness(ageMs: number | null): string {
  if (ageMs == null) return 'stale';
  return ageMs < 36 * 3_600_000 ? 'fresh' : 'stale';
}

function actionButton(label: string, run: () => Promise<string>, attrs: Record<string, string> = {}): HTMLButtonElement {
  const b = h('button', { type: 'button', ...attrs }, label);
  b.addEventListener('click', async () => {
    b.disabled = true;
    const note = h('span', { className: 'muted small' }, ' …');
    b.after(note);
    try {
      note.textContent = ` ${await run()}`;
      note.className = 'ok small';
    } catch (e) {
      note.textContent = ` ${(e as Error).message}`;
      note.className = 'error small';
      b.disabled = false;
    }
  });
  return b;
}

function reviewsSection(reviews: Review[]): HTMLElement {
  return section(
    'People who may be the same',
    reviews.length
      ? h(
          'ul',
          { className: 'reviews', id: 'reviews' },
          reviews.map((r) =>
            h(
              'li',
              { 'data-review': r.id },
              h('div', {}, h('code', {}, r.entity), ' ', h('span', { className: 'muted' }, r.reason)),
              h('div', {}, r.candidates.map((c, i) => [i ? ' · ' : '', link(`/people/${encodeURIComponent(c.id)}`, c.name || c.id)])),
              actionButton(
                `Merge into ${r.candidates[0]?.name || r.candidates[0]?.id}`,
                async () => {
                  const res = await api<{ keep: string; alreadyAccepted: boolean; merge: { merged: string[] } | null }>(`/api/reviews/${encodeURIComponent(r.id)}/accept`, { method: 'POST', body: {} });
                  return res.alreadyAccepted ? 'already merged' : `merged ${res.merge?.merged.length ?? 0} into ${res.keep}`;
                },
                { 'data-action': 'accept-review' },
              ),
            ),
          ),
        )
      : h('p', { className: 'muted' }, 'Nothing to review.'),
  );
}

function conflictsSection(hub: Hub): HTMLElement {
  return section(
    'Open conflicts',
    hub.conflicts.length
      ? h(
          'ul',
          { className: 'conflicts', id: 'conflicts' },
          hub.conflicts.map((c) => {
            const fields = [...new Set([...Object.keys(c.a.fields), ...Object.keys(c.b.fields)])].filter((f) => JSON.stringify(c.a.fields[f]) !== JSON.stringify(c.b.fields[f]));
            const take = (side: string) => async () => {
              const r = await api<{ alreadyResolved: boolean; version?: number }>(`/api/conflicts/${encodeURIComponent(c.id)}/resolve`, { method: 'POST', body: { take: [side] } });
              return r.alreadyResolved ? 'already resolved' : `resolved: contact is now v${r.version}`;
            };
            return h(
              'li',
              { 'data-conflict': c.id },
              h('div', {}, h('strong', {}, String(c.a.fields.canonical_name ?? c.b.fields.canonical_name ?? '')), ` contact ${c.contactId}: ${c.a.system} v${c.a.version ?? '?'} vs ${c.b.system} v${c.b.version ?? '?'}`),
              table(
                ['field', c.a.system, c.b.system],
                fields.map((f) => [f, JSON.stringify(c.a.fields[f] ?? null), JSON.stringify(c.b.fields[f] ?? null)]),
              ),
              actionButton(`Take ${c.a.system}`, take(c.a.system), { 'data-action': 'take-a' }),
              ' ',
              actionButton(`Take ${c.b.system}`, take(c.b.system), { 'data-action': 'take-b' }),
            );
          }),
        )
      : h('p', { className: 'muted' }, 'No open conflicts.'),
  );
}

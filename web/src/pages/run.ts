import { api, type RunDetail, type RunStep } from '../api.js';
import { duration, h, link, ready, section, table, when } from '../dom.js';

/** One run: its DAG as a timeline of steps (a bar per step from its start for its duration), and the figures per step. */
export async function runPage(root: HTMLElement, params: Record<string, string>): Promise<void> {
  const run = await api<RunDetail>(`/api/sync/runs/${encodeURIComponent(params.id!)}`);
  const s = run.summary;
  root.append(
    h('p', {}, link('/sync', '← Sync')),
    h('h1', {}, `Run ${run.id}`),
    h(
      'p',
      {},
      h('span', { className: `status status-${run.status}` }, run.status),
      ` ${run.kind}, started ${when(run.startedAt)}, ${duration(run.durationMs)}`,
      s ? ` · ${s.people ?? 0} people, ${s.interactions ?? 0} interactions, ${s.relationships ?? 0} relationships` : '',
    ),
  );
  root.append(section('Steps over time', gantt(run)), section('Steps', stepsTable(run.steps)));
  await ready('run');
}

function gantt(run: RunDetail): HTMLElement {
  const started = run.steps.map((x) => x.startedAt).filter((x): x is number => x != null);
  const t0 = Math.min(run.startedAt, ...started);
  const t1 = Math.max(run.finishedAt ?? 0, ...run.steps.map((x) => x.finishedAt ?? x.startedAt ?? 0), t0 + 1);
  const span = t1 - t0;
  const rows = run.steps.map((st) => {
    const left = st.startedAt == null ? 0 : ((st.startedAt - t0) / span) * 100;
    const width = st.startedAt == null ? 0 : Math.max(0.4, (((st.finishedAt ?? t1) - st.startedAt) / span) * 100);
    return h(
      'div',
      { className: 'gantt-row', title: `${st.id}: ${st.status}, ${duration(st.durationMs)}, after ${st.dependsOn.join(', ') || 'nothing'}` },
      h('div', { className: 'gantt-label' }, h('span', { className: 'phase' }, `P${st.phase}`), ' ', st.id),
      h('div', { className: 'gantt-track' }, h('div', { className: `gantt-bar status-${st.status}`, style: `left:${left}%;width:${width}%` })),
      h('div', { className: 'gantt-dur' }, duration(st.durationMs)),
    );
  });
  return h('div', { className: 'gantt', id: 'run-gantt' }, rows, h('div', { className: 'gantt-axis muted small' }, h('span', {}, when(t0)), h('span', {}, `+${duration(span)}`)));
}

function stepsTable(steps: RunStep[]): HTMLElement {
  return table(
    ['step', 'phase', 'after', 'status', 'start', 'duration', 'records', 'failures', 'attempts'],
    steps.map((st) => [
      st.id,
      st.phase,
      st.dependsOn.join(', ') || '–',
      h('span', { className: `status status-${st.status}` }, st.status),
      when(st.startedAt),
      duration(st.durationMs),
      st.records,
      [st.counts?.failed ? `${st.counts.failed} records` : '', st.error ? h('div', { className: 'error small' }, st.error) : null],
      st.attempts,
    ]),
    { id: 'steps' },
  );
}

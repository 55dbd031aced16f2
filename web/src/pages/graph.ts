import type { LayoutOptions } from 'cytoscape';
import { api, CHANNELS, type Graph } from '../api.js';
import { h, ready } from '../dom.js';
import { go } from '../nav.js';

/** Graph: the strongest people and their relationships, filtered by strength and channel; a click opens the person. */
export async function graphPage(root: HTMLElement, _p: Record<string, string>, query: URLSearchParams): Promise<void> {
  const min = query.get('min_strength') ?? '0';
  const channel = query.get('channel') ?? '';
  const limit = query.get('limit') ?? '60';
  const minInput = h('input', { type: 'number', min: 0, max: 100, step: 1, value: min, id: 'min-strength', 'aria-label': 'minimum strength' });
  const chan = h('select', { id: 'channel', 'aria-label': 'channel' }, h('option', { value: '' }, 'all channels'), CHANNELS.map((c) => h('option', { value: c, selected: c === channel }, c)));
  const lim = h('input', { type: 'number', min: 1, max: 2000, value: limit, id: 'graph-limit', 'aria-label': 'how many people' });
  const apply = () => go(`/graph?${new URLSearchParams({ min_strength: minInput.value || '0', ...(chan.value ? { channel: chan.value } : {}), limit: lim.value || '60' })}`, true);
  for (const el of [minInput, chan, lim]) el.addEventListener('change', apply);
  const status = h('span', { className: 'muted' }, 'loading…');
  root.append(
    h('div', { className: 'toolbar' }, h('h1', {}, 'Graph'), h('label', {}, 'strength ≥ ', minInput), h('label', {}, 'channel ', chan), h('label', {}, 'people ', lim), status),
  );
  const box = h('div', { id: 'graph', className: 'graph' });
  root.append(box);
  const g = await api<Graph>(`/api/graph?${new URLSearchParams({ min_strength: min, ...(channel ? { channel } : {}), limit })}`);
  status.textContent = `${g.nodes.length} people${g.truncated ? ' (the strongest only: raise “people” for more)' : ''}, ${g.edges.length} relationships${g.edgesTotal > g.edges.length ? ` (the strongest of ${g.edgesTotal})` : ''}`;
  if (!g.nodes.length) {
    box.replaceChildren(h('p', { className: 'muted' }, 'Nobody matches these filters.'));
    await ready('graph');
    return;
  }
  // Loaded with the page that needs it, so the other pages never parse it.
  performance.mark('graph:data');
  const { default: cytoscape } = await import('cytoscape');
  performance.mark('graph:library');
  const maxW = Math.max(1, ...g.edges.map((e) => e.weight));
  const cy = cytoscape({
    container: box,
    elements: [
      ...g.nodes.map((n) => ({ data: { id: n.id, label: n.label, size: 14 + Math.round((n.strength ?? 0) / 4) } })),
      ...g.edges.map((e) => ({ data: { id: `${e.source}|${e.target}`, source: e.source, target: e.target, w: 1 + (5 * e.weight) / maxW } })),
    ],
    style: [
      { selector: 'node', style: { label: 'data(label)', 'min-zoomed-font-size': 7, width: 'data(size)', height: 'data(size)', 'font-size': 9, 'background-color': '#2563eb', color: '#1f2937', 'text-valign': 'bottom', 'text-margin-y': 2 } },
      { selector: 'edge', style: { width: 'data(w)', 'line-color': '#94a3b8', opacity: 0.6, 'curve-style': 'haystack' } },
      { selector: 'node:active, node.hover', style: { 'background-color': '#dc2626' } },
    ],
    hideEdgesOnViewport: true,
    layout: { name: 'cose', animate: false, randomize: false, numIter: 250, nodeRepulsion: () => 8000, idealEdgeLength: () => 60 } as LayoutOptions,
  });
  performance.mark('graph:laid-out');
  cy.on('tap', 'node', (e) => go(`/people/${encodeURIComponent(e.target.id() as string)}`));
  cy.on('mouseover', 'node', (e) => e.target.addClass('hover'));
  cy.on('mouseout', 'node', (e) => e.target.removeClass('hover'));
  // The browser tests find nodes' screen positions here to click one.
  (window as unknown as { kithGraph: unknown }).kithGraph = { nodes: () => cy.nodes().map((n) => ({ id: n.id(), ...n.renderedPosition() })), rect: () => box.getBoundingClientRect() };
  await ready('graph');
}

import { randomUUID } from 'node:crypto';
import type { NotionPage, NotionPages, NotionPropertySchema, NotionPropertyType, PlainValue } from '../../../src/systems/notion/notion-pages.port.js';

/**
 * NotionPages in memory, for the engine's tests before they run against the Notion emulator:
 * last_edited_time rounded down to the minute as Notion does, trashed pages left out of queries.
 */
export class MemoryNotionPages implements NotionPages {
  readonly pages = new Map<string, NotionPage>();
  requests = 0;
  /** When set, queries answer nothing (a broken source). */
  answerEmpty = false;
  constructor(
    readonly schemas: Record<string, Record<string, NotionPropertySchema>>,
    readonly now: () => number = Date.now,
  ) {}

  private minute() {
    return new Date(Math.floor(this.now() / 60_000) * 60_000).toISOString();
  }

  async schema(dataSourceId: string) {
    this.requests++;
    return this.schemas[dataSourceId] ?? {};
  }

  async *query(dataSourceId: string, opts: { editedSince?: string } = {}): AsyncIterable<NotionPage[]> {
    this.requests++;
    if (this.answerEmpty) return;
    const list = [...this.pages.values()]
      .filter((p) => p.dataSourceId === dataSourceId && !p.inTrash && (!opts.editedSince || p.lastEditedTime >= opts.editedSince))
      .sort((a, b) => a.lastEditedTime.localeCompare(b.lastEditedTime));
    for (let i = 0; i < list.length; i += 100) yield list.slice(i, i + 100).map((p) => structuredClone(p));
  }

  async get(pageId: string) {
    this.requests++;
    const p = this.pages.get(pageId);
    return p && structuredClone(p);
  }

  private props(dataSourceId: string, values: Record<string, PlainValue>, base: NotionPage['properties'] = {}) {
    const schema = this.schemas[dataSourceId] ?? {};
    const out = { ...base };
    for (const [name, value] of Object.entries(values)) {
      const s = schema[name];
      if (!s) throw new Error(`no property ${name}`);
      out[name] = { type: s.type, value };
    }
    for (const s of Object.values(schema)) out[s.name] ??= { type: s.type, value: s.type === 'multi_select' || s.type === 'relation' || s.type === 'people' ? [] : s.type === 'checkbox' ? false : null };
    return out;
  }

  async create(dataSourceId: string, values: Record<string, PlainValue>) {
    this.requests++;
    const t = this.minute();
    const page: NotionPage = { id: randomUUID(), dataSourceId, createdTime: t, lastEditedTime: t, inTrash: false, properties: this.props(dataSourceId, values) };
    this.pages.set(page.id, page);
    return structuredClone(page);
  }

  async update(pageId: string, values: Record<string, PlainValue>, opts: { inTrash?: boolean } = {}) {
    this.requests++;
    const p = this.pages.get(pageId);
    if (!p) throw new Error(`no page ${pageId}`);
    p.properties = this.props(p.dataSourceId, values, p.properties);
    if (opts.inTrash !== undefined) p.inTrash = opts.inTrash;
    p.lastEditedTime = this.minute();
    return structuredClone(p);
  }

  /** A person's edit in Notion. */
  edit(pageId: string, values: Record<string, PlainValue>, inTrash?: boolean) {
    return this.update(pageId, values, { inTrash });
  }
}

export const prop = (name: string, type: NotionPropertyType, extra: Partial<NotionPropertySchema> = {}): NotionPropertySchema => ({ id: name.toLowerCase(), name, type, ...extra });

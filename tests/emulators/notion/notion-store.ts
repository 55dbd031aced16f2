import { randomUUID } from 'node:crypto';
import { emptyValue, normaliseValue, type PropDef, ValidationError } from './notion-values.js';

/**
 * The emulator's workspace: data sources with their property schemas and the pages in them.
 * Times are the emulator clock's; Notion shows `created_time` and `last_edited_time` rounded
 * down to the minute, and so does this store (each page keeps its exact edit time too, only to
 * order pages edited within the same minute).
 */
export interface DataSource {
  id: string;
  databaseId: string;
  title: string;
  properties: Map<string, PropDef>;
  createdAt: number;
}

export interface StoredPage {
  id: string;
  dataSourceId: string;
  createdAt: number;
  editedAt: number;
  inTrash: boolean;
  createdBy: string;
  editedBy: string;
  values: Map<string, unknown>;
}

export type Author = { id: string; type: 'person' | 'bot' };
export type PageEvent = { type: 'page.created' | 'page.properties_updated' | 'page.deleted' | 'page.undeleted'; page: StoredPage; author: Author; updatedProperties?: string[] };

export class NotFound extends Error {}

export type PropertyInput = string | { type: string; options?: string[]; relation?: string };

const STATUS_OPTIONS = ['Not started', 'In progress', 'Done'];

export class NotionStore {
  readonly dataSources = new Map<string, DataSource>();
  readonly pages = new Map<string, StoredPage>();
  onChange: (e: PageEvent) => void = () => undefined;

  constructor(
    private readonly now: () => number,
    /** Round shown times down to the minute, as Notion does (on by default). */
    readonly minutePrecision = true,
  ) {}

  shownTime(ms: number): string {
    return new Date(this.minutePrecision ? Math.floor(ms / 60_000) * 60_000 : ms).toISOString();
  }

  createDataSource(title: string, props: Record<string, PropertyInput>, id: string = randomUUID()): DataSource {
    const properties = new Map<string, PropDef>();
    let n = 0;
    for (const [name, input] of Object.entries(props)) {
      const p = typeof input === 'string' ? { type: input } : input;
      const def: PropDef = { id: p.type === 'title' ? 'title' : `p${++n}`, name, type: p.type };
      if (['select', 'multi_select', 'status'].includes(p.type)) {
        def.options = (p.options ?? (p.type === 'status' ? STATUS_OPTIONS : [])).map((o, i) => ({ id: `opt-${i + 1}`, name: o, color: 'default' }));
      }
      if (p.type === 'relation') def.relation = { data_source_id: p.relation ?? id, database_id: p.relation ?? id };
      properties.set(name, def);
    }
    if ([...properties.values()].filter((d) => d.type === 'title').length !== 1) throw new Error(`data source ${title} needs exactly one title property`);
    const ds: DataSource = { id, databaseId: randomUUID(), title, properties, createdAt: this.now() };
    this.dataSources.set(id, ds);
    return ds;
  }

  dataSource(id: string): DataSource {
    const ds = this.dataSources.get(id);
    if (!ds) throw new NotFound(`Could not find data_source with ID: ${id}. Make sure the relevant pages and databases are shared with your integration.`);
    return ds;
  }

  page(id: string): StoredPage {
    const p = this.pages.get(id);
    if (!p) throw new NotFound(`Could not find page with ID: ${id}. Make sure the relevant pages and databases are shared with your integration.`);
    return p;
  }

  /** Check every value before changing anything, as Notion does: one bad property rejects the whole write. */
  private normalise(ds: DataSource, props: Record<string, unknown>): Map<string, unknown> {
    if (!props || typeof props !== 'object' || Array.isArray(props)) throw new ValidationError('body failed validation: body.properties should be an object.');
    const out = new Map<string, unknown>();
    for (const [key, payload] of Object.entries(props)) {
      const def = ds.properties.get(key) ?? [...ds.properties.values()].find((d) => d.id === key);
      if (!def) throw new ValidationError(`${key} is not a property that exists.`);
      if (!payload || typeof payload !== 'object') throw new ValidationError(`body failed validation: body.properties.${key} should be an object, instead was \`${JSON.stringify(payload)}\`.`);
      out.set(def.name, normaliseValue(def, payload as Record<string, unknown>));
    }
    return out;
  }

  /** Each change moves the clock's edit time forward at least a millisecond, so edits keep their order. */
  private stamp(): number {
    return this.now();
  }

  create(dataSourceId: string, props: Record<string, unknown>, author: Author): StoredPage {
    const ds = this.dataSource(dataSourceId);
    const given = this.normalise(ds, props);
    const values = new Map<string, unknown>();
    for (const def of ds.properties.values()) values.set(def.name, given.has(def.name) ? given.get(def.name) : emptyValue(def.type));
    const at = this.stamp();
    const page: StoredPage = { id: randomUUID(), dataSourceId, createdAt: at, editedAt: at, inTrash: false, createdBy: author.id, editedBy: author.id, values };
    this.pages.set(page.id, page);
    this.onChange({ type: 'page.created', page, author });
    return page;
  }

  update(pageId: string, props: Record<string, unknown> | undefined, inTrash: boolean | undefined, author: Author): StoredPage {
    const page = this.page(pageId);
    if (page.inTrash && inTrash !== false && props && Object.keys(props).length) {
      throw new ValidationError("Can't edit block that is archived. You must unarchive the block before editing.");
    }
    const given = props ? this.normalise(this.dataSource(page.dataSourceId), props) : new Map<string, unknown>();
    const wasTrashed = page.inTrash;
    for (const [k, v] of given) page.values.set(k, v);
    if (inTrash !== undefined) page.inTrash = inTrash;
    if (given.size || (inTrash !== undefined && inTrash !== wasTrashed)) {
      page.editedAt = this.stamp();
      page.editedBy = author.id;
    }
    if (inTrash === true && !wasTrashed) this.onChange({ type: 'page.deleted', page, author });
    if (inTrash === false && wasTrashed) this.onChange({ type: 'page.undeleted', page, author });
    if (given.size) {
      const ds = this.dataSource(page.dataSourceId);
      this.onChange({ type: 'page.properties_updated', page, author, updatedProperties: [...given.keys()].map((n) => ds.properties.get(n)!.id) });
    }
    return page;
  }
}

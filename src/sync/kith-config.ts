import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../config/config-error.js';
import { WORKER_GROUP_NAME } from '../queues/queue-registry.js';
import { SOURCE_TYPES, sourceDeclaration, type SourceType } from '../sources/registry.js';
import { categoriesSection, type CategoryRule, contactsSection, type PromotionRule } from '../promotion/promotion-config.js';
import { type TableMapping, tablesProblem, tablesSchema, toTableMapping } from '../tables/config/tables-config.js';

export { SOURCE_TYPES };

/** What every source entry has; a source's own fields are checked by its declared `config`. */
const sourceEntry = z
  .object({
    type: z.enum(SOURCE_TYPES),
    /** The export on disk (file sources); an API source has none. */
    path: z.string().min(1, 'must not be empty').optional(),
    /** Stable name for this source's cursor and step id; defaults to type (+ index when repeated). */
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lowercase letters, digits and dashes').optional(),
    /**
     * The worker group whose hosts hold this source's files: its steps go to that group's
     * queues (`source-mbox@laptop`), served by `kith worker --group laptop`, and its paths are
     * resolved on the host that serves them.
     */
    group: z.string().regex(WORKER_GROUP_NAME, 'must be a worker group name: lowercase letters, digits and dashes').optional(),
  })
  .passthrough();

const fileSchema = z.object({
  self: z
    .object({
      emails: z.array(z.string()).default([]),
      phones: z.array(z.string()).default([]),
      names: z.array(z.string()).default([]),
      handles: z.array(z.string()).default([]),
    })
    .default({ emails: [], phones: [], names: [], handles: [] }),
  sources: z.array(sourceEntry).default([]),
  contacts: contactsSection,
  categories: categoriesSection,
  /** Notion ↔ Supabase table mappings (src/tables/config/tables-config.ts). */
  tables: tablesSchema.default([]),
});

export interface ConfiguredSource {
  id: string;
  type: SourceType;
  /**
   * Absolute; for a source with a `group`, as written (resolved on the host that serves it).
   * Empty for an API source (`kind: 'api'`), which reads its provider, not a file.
   */
  path: string;
  /** The worker group that holds its files; unset: any worker serves it. */
  group?: string;
  /** The fields the source's declaration adds (its `config` schema), path fields expanded. */
  [field: string]: unknown;
}

export interface KithConfig {
  file: string;
  self: { emails: string[]; phones: string[]; names: string[]; handles: string[] };
  sources: ConfiguredSource[];
  /** Who becomes a canonical contact (src/promotion/). */
  contacts: { promote: PromotionRule };
  /** Category codes set by rule (by mail domain, by source). */
  categories: CategoryRule[];
  tables: TableMapping[];
}

function expand(p: string, base: string): string {
  if (p === '~' || p.startsWith('~/')) return resolve(homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(base, p);
}

/** Read and validate the sources file; every problem names the file and the field. */
export function loadKithConfig(file: string): KithConfig {
  const path = resolve(file);
  if (!existsSync(path)) throw new ConfigError(path, 'config file does not exist (set KITH_CONFIG or create kith.config.yaml; examples/kith.config.yaml shows the format)');
  let raw: unknown;
  const lines = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(readFileSync(path, 'utf8'), { lineCounter: lines });
    if (doc.errors.length) throw doc.errors[0]!;
    raw = doc.toJS();
  } catch (err) {
    throw new ConfigError(path, `is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  /** `sources[2].group (line 7)`: the field, and the line of the YAML that holds it. */
  const where = (at: readonly PropertyKey[]) => {
    const field = at.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(root)';
    for (let n = at.length; n > 0; n--) {
      const node = doc.getIn(at.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) return `${field} (line ${lines.linePos(node.range[0]).line})`;
    }
    return field;
  };
  const parsed = fileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${path}: ${where(issue.path)}`, issue.message);
  }
  const tableProblem = tablesProblem(parsed.data.tables);
  if (tableProblem) throw new ConfigError(`${path}: ${where(['tables', ...tableProblem[0]])}`, tableProblem[1]);
  const base = dirname(path);
  const seen = new Map<string, number>();
  const sources = parsed.data.sources.map((s, i): ConfiguredSource => {
    const own = ownFields(path, i, s, where);
    const kind = sourceDeclaration(s.type).kind;
    if (kind === 'api') {
      if (s.path !== undefined) throw new ConfigError(`${path}: ${where(['sources', i, 'path'])}`, `a ${s.type} source reads its provider's API and takes no path`);
    } else if (s.path === undefined) {
      throw new ConfigError(`${path}: ${where(['sources', i])}.path`, `is required: the ${s.type} export on disk`);
    }
    const sourcePath = s.path ?? '';
    const n = (seen.get(s.type) ?? 0) + 1;
    seen.set(s.type, n);
    const id = s.id ?? (n === 1 ? s.type : `${s.type}-${n}`);
    // A grouped source's files live on its group's hosts: its paths stay as written here.
    if (s.group) return { id, type: s.type, path: sourcePath, group: s.group, ...own };
    return { id, type: s.type, path: kind === 'api' ? '' : expand(sourcePath, base), ...expandPathFields(s.type, own, base) };
  });
  const ids = new Set<string>();
  for (const s of sources) {
    if (ids.has(s.id)) throw new ConfigError(`${path}: sources`, `two sources share the id '${s.id}': give one an explicit id`);
    ids.add(s.id);
  }
  return { file: path, self: parsed.data.self, sources, contacts: parsed.data.contacts, categories: parsed.data.categories, tables: parsed.data.tables.map(toTableMapping) };
}

/** A source entry's own fields, checked by its declaration's schema (path fields as written). */
function ownFields(file: string, index: number, entry: { type: SourceType; [k: string]: unknown }, where: (at: readonly PropertyKey[]) => string): Record<string, unknown> {
  const decl = sourceDeclaration(entry.type);
  if (!decl.config) return {};
  const r = decl.config.safeParse(entry);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ConfigError(`${file}: ${where(['sources', index, ...issue.path])}`, issue.message);
  }
  return { ...r.data };
}

function expandPathFields(type: SourceType, own: Record<string, unknown>, base: string): Record<string, unknown> {
  const out = { ...own };
  for (const f of sourceDeclaration(type).pathFields ?? []) if (typeof out[f] === 'string') out[f] = expand(out[f], base);
  return out;
}

/**
 * A grouped source's paths as the host serving it sees them: `~` is this host's home, and a
 * relative path is relative to this host's configuration directory (the folder of
 * `KITH_CONFIG`, as docker compose mounts the exports with the config file), else to its
 * working directory. Sources without a group were resolved when the configuration was read.
 */
export function resolveOnThisHost(source: ConfiguredSource, env: NodeJS.ProcessEnv = process.env): ConfiguredSource {
  if (!source.group) return source;
  const base = env.KITH_CONFIG ? dirname(resolve(env.KITH_CONFIG)) : process.cwd();
  return { ...source, ...expandPathFields(source.type, source, base), path: source.path ? expand(source.path, base) : '' };
}

/** The worker groups a configuration's sources name. */
export function configuredGroups(config: Pick<KithConfig, 'sources'>): string[] {
  return [...new Set(config.sources.flatMap((s) => (s.group ? [s.group] : [])))];
}

/** KITH_CONFIG, else ./kith.config.yaml, else the bundled examples (so a fresh clone shows a graph). */
export function resolveConfigPath(env: NodeJS.ProcessEnv = process.env): { file: string; isExample: boolean } {
  if (env.KITH_CONFIG) return { file: resolve(env.KITH_CONFIG), isExample: false };
  if (existsSync(resolve('kith.config.yaml'))) return { file: resolve('kith.config.yaml'), isExample: false };
  return { file: resolve(import.meta.dirname, '../../examples/kith.config.yaml'), isExample: true };
}

/**
 * The worker groups named by the configuration file this process would read (KITH_CONFIG or
 * ./kith.config.yaml), for listing their queues; none when there is no readable one.
 */
export function configFileGroups(env: NodeJS.ProcessEnv = process.env): string[] {
  const { file, isExample } = resolveConfigPath(env);
  if (isExample) return [];
  try {
    return configuredGroups(loadKithConfig(file));
  } catch {
    return [];
  }
}

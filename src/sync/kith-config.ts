import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../config/config-error.js';
import { SOURCE_TYPES, sourceDeclaration, type SourceType } from '../sources/registry.js';

export { SOURCE_TYPES };

/** What every source entry has; a source's own fields are checked by its declared `config`. */
const sourceEntry = z
  .object({
    type: z.enum(SOURCE_TYPES),
    path: z.string().min(1, 'must not be empty'),
    /** Stable name for this source's cursor and step id; defaults to type (+ index when repeated). */
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lowercase letters, digits and dashes').optional(),
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
});

export interface ConfiguredSource {
  id: string;
  type: SourceType;
  path: string;
  /** The fields the source's declaration adds (its `config` schema), path fields expanded. */
  [field: string]: unknown;
}

export interface KithConfig {
  file: string;
  self: { emails: string[]; phones: string[]; names: string[]; handles: string[] };
  sources: ConfiguredSource[];
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
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(path, `is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = fileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    throw new ConfigError(`${path}: ${field || '(root)'}`, issue.message);
  }
  const base = dirname(path);
  const seen = new Map<string, number>();
  const sources = parsed.data.sources.map((s, i): ConfiguredSource => {
    const own = ownFields(path, i, s);
    const n = (seen.get(s.type) ?? 0) + 1;
    seen.set(s.type, n);
    const id = s.id ?? (n === 1 ? s.type : `${s.type}-${n}`);
    return { id, type: s.type, path: expand(s.path, base), ...own };
  });
  const ids = new Set<string>();
  for (const s of sources) {
    if (ids.has(s.id)) throw new ConfigError(`${path}: sources`, `two sources share the id '${s.id}': give one an explicit id`);
    ids.add(s.id);
  }
  return { file: path, self: parsed.data.self, sources };
}

/** A source entry's own fields, checked by its declaration's schema; its path fields expanded. */
function ownFields(file: string, index: number, entry: { type: SourceType; [k: string]: unknown }): Record<string, unknown> {
  const decl = sourceDeclaration(entry.type);
  if (!decl.config) return {};
  const r = decl.config.safeParse(entry);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ConfigError(`${file}: sources[${index}].${issue.path.map(String).join('.')}`, issue.message);
  }
  const base = dirname(file);
  const own: Record<string, unknown> = { ...r.data };
  for (const f of decl.pathFields ?? []) if (typeof own[f] === 'string') own[f] = expand(own[f], base);
  return own;
}

/** KITH_CONFIG, else ./kith.config.yaml, else the bundled examples (so a fresh clone shows a graph). */
export function resolveConfigPath(env: NodeJS.ProcessEnv = process.env): { file: string; isExample: boolean } {
  if (env.KITH_CONFIG) return { file: resolve(env.KITH_CONFIG), isExample: false };
  if (existsSync(resolve('kith.config.yaml'))) return { file: resolve('kith.config.yaml'), isExample: false };
  return { file: resolve(import.meta.dirname, '../../examples/kith.config.yaml'), isExample: true };
}

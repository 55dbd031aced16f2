import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadFieldOwnership } from '../../../src/app/field-ownership.js';
import { DEFAULT_FIELD_OWNERSHIP } from '../../../src/hub/domain/field-ownership.js';

const dir = mkdtempSync(join(tmpdir(), 'kith-ownership-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('KITH_FIELD_OWNERSHIP', () => {
  it('defaults to Google for contact details, Notion for CRM fields, Kith for llm_context', () => {
    const c = loadFieldOwnership({});
    expect(c).toEqual({ ownership: DEFAULT_FIELD_OWNERSHIP, ownershipSource: 'default' });
    expect(c.ownership.emails).toBe('google');
    expect(c.ownership.company).toBe('notion');
    expect(c.ownership.linkedin_url).toBe('google');
    expect(c.ownership.llm_context).toBe('kith');
  });
  it('reads YAML and JSON files that replace the table', () => {
    const y = file('own.yaml', 'supabase:\n  - emails\n  - phones\ntwenty: [notes]\n');
    expect(loadFieldOwnership({ KITH_FIELD_OWNERSHIP: y }).ownership).toEqual({ emails: 'supabase', phones: 'supabase', notes: 'twenty' });
    const j = file('own.json', '{"google": ["canonical_name"]}');
    expect(loadFieldOwnership({ KITH_FIELD_OWNERSHIP: j })).toEqual({ ownership: { canonical_name: 'google' }, ownershipSource: j });
  });
  it('names the variable or the file and the problem', () => {
    const missing = join(dir, 'nope.yaml');
    expect(() => loadFieldOwnership({ KITH_FIELD_OWNERSHIP: missing })).toThrow(new ConfigError('KITH_FIELD_OWNERSHIP', `cannot read ${missing} (ENOENT)`));
    const twice = file('twice.yaml', 'google: [emails]\ntwenty: [emails]\n');
    expect(() => loadFieldOwnership({ KITH_FIELD_OWNERSHIP: twice })).toThrow(`${twice}: emails: owned by both google and twenty`);
    const unknown = file('unknown.yaml', 'google: [email]\n');
    expect(() => loadFieldOwnership({ KITH_FIELD_OWNERSHIP: unknown })).toThrow(/unknown\.yaml: google\.0: /);
    const broken = file('broken.json', '{"google": [');
    expect(() => loadFieldOwnership({ KITH_FIELD_OWNERSHIP: broken })).toThrow(/broken\.json: is not valid JSON/);
  });
});

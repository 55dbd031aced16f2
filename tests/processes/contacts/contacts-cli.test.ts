import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalContact } from '../../../src/hub/domain/canonical-contact.js';
import { recordLink } from '../../../src/hub/stores/contact-links.store.js';
import { markPending } from '../../../src/hub/stores/contact-outbox.store.js';
import { conflictSide, recordConflict } from '../../../src/hub/stores/sync-conflicts.store.js';
import { buildContactContext } from '../../../src/hub/domain/contact-prompt-builder.js';
import { hashForSystem } from '../../../src/hub/domain/contact-content.js';
import { linkPerson } from '../../../src/systems/local/contacts-table.js';
import { LocalCanonicalStore } from '../../../src/systems/local/local-canonical.store.js';
import { freshDb, type TestDb } from '../../support/test-env.js';
import { contact, ID1, ID2, systemCopy } from '../../support/contacts/contact-fixtures.js';

const run = promisify(execFile);
const BIN = resolve('bin/kith.mjs');
let t: TestDb;
let cwd: string;
let conflictId: string;

async function kith(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, DATABASE_URL: t.url, KITH_DATA_DIR: cwd }, timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'kith-cli-'));
  t = await freshDb('sqlite');
  const store = new LocalCanonicalStore(t.db);
  const ada = contact({ llm_context: { how_met: 'At a soirée', closeness_level: 8 } });
  await store.put(ada);
  await store.put(contact({ contact_id: ID2, canonical_name: 'Bob', emails: ['bob@example.org'] }));
  await recordLink(t.db, { contactId: ID1, system: 'twenty', externalId: 'tw-1', hash: hashForSystem(ada), version: 2, at: Date.parse('2026-01-11T00:00:00Z') });
  await markPending(t.db, ID1, 3, ['twenty'], Date.parse('2026-01-12T00:00:00Z'));
  const theirs = systemCopy(contact({ job_title: 'Countess', company: 'Royal Society' }), 'twenty');
  conflictId = (await recordConflict(t.db, { contactId: ID1, a: conflictSide(ada), b: conflictSide(theirs), reason: 'same version and time', now: 1 })).id;
  const now = Date.now();
  await t.db.run('INSERT INTO people (id, canonical_name, email_count, meeting_count, strength, first_interaction_at, last_interaction_at, source_mask, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
    'p-1', 'Ada Lovelace', 2, 1, 0.5, Date.parse('2025-01-01T00:00:00Z'), Date.parse('2026-01-02T00:00:00Z'), 3, now, now,
  ]);
  await t.db.run('INSERT INTO interactions (person_id, source_type, external_id, occurred_at, title, snippet) VALUES (?, ?, ?, ?, ?, ?)', ['p-1', 'gmail', 'm1', Date.parse('2026-01-02T00:00:00Z'), 'Re: engines', null]);
  await linkPerson(t.db, ID1, 'p-1');
});
afterAll(async () => {
  await t?.dispose();
  rmSync(cwd, { recursive: true, force: true });
});

describe('kith contacts / kith prompt', { timeout: 90_000 }, () => {
  it('show by email prints the record, links, pending and conflicts; --json is one object', async () => {
    const [text, jsonOut, missing] = await Promise.all([
      kith('contacts', 'show', 'ADA@example.org'),
      kith('contacts', 'show', ID1, '--json'),
      kith('contacts', 'show', 'nobody@example.org'),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Ada Lovelace  (${ID1})`);
    expect(text.stdout).toMatch(/twenty\s+tw-1 {2}v2 \(behind v3\)/);
    expect(text.stdout).toContain('pending: twenty v3 since 2026-01-12T00:00:00.000Z');
    expect(text.stdout).toContain(`open conflict: ${conflictId} (local vs twenty)`);
    const json = JSON.parse(jsonOut.stdout);
    expect(json).toMatchObject({ personId: 'p-1', contact: { contact_id: ID1 }, links: [{ system: 'twenty', externalId: 'tw-1' }], conflicts: [{ id: conflictId }] });
    expect(missing).toMatchObject({ code: 1, stderr: 'kith: no contact has the email nobody@example.org\n' });
  });

  it('show --history lists each kept version: what changed, from which system, which systems hold it', async () => {
    const [text, jsonOut] = await Promise.all([kith('contacts', 'show', 'bob@example.org', '--history'), kith('contacts', 'show', ID2, '--history', '--json')]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('history (newest first):\n  v3  2026-01-10T10:00:00.000Z  from kith: canonical_name, first_name, last_name, emails, phones, company, job_title, category_code, subcategory_code\n');
    expect(JSON.parse(jsonOut.stdout).history).toMatchObject([{ contactId: ID2, version: 3, system: 'kith', origin: null, deleted: false, record: { canonical_name: 'Bob' } }]);
  });

  it('prompt prints the context with the linked person\'s figures', async () => {
    const r = await kith('prompt', 'ada@example.org', '--base', 'You are talking to a friend.', '--recent', '3');
    expect(r.code).toBe(0);
    const ada = (await new LocalCanonicalStore(t.db).get(ID1))!;
    const extras = {
      person: { counts: { email: 2, meeting: 1, message: 0, mention: 0, call: 0 }, strength: 0.5, firstInteractionAt: '2025-01-01T00:00:00.000Z', lastInteractionAt: '2026-01-02T00:00:00.000Z', sources: ['calendar', 'gmail'] },
      recentInteractions: [{ at: '2026-01-02T00:00:00.000Z', source: 'gmail', title: 'Re: engines', snippet: null }],
    };
    expect(r.stdout).toBe(`You are talking to a friend.\n\n${buildContactContext(ada, extras)}\n`);
    expect(r.stdout).toContain('Counts: 2 emails, 1 meeting');
    expect(r.stdout).toContain('- 2026-01-02 gmail: Re: engines');
  });

  it('prompt --json is one object with the contact, its person and the same context', async () => {
    const [text, json] = await Promise.all([kith('prompt', 'ada@example.org'), kith('prompt', 'ada@example.org', '--json')]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ contact_id: ID1, person_id: 'p-1', prompt: text.stdout.replace(/\n$/, '') });
  });

  it('resolve --json prints the settled record', async () => {
    const bob = (await new LocalCanonicalStore(t.db).get(ID2))!;
    const theirs = systemCopy({ ...bob, job_title: 'Engineer' }, 'twenty');
    const id = (await recordConflict(t.db, { contactId: ID2, a: conflictSide(bob), b: conflictSide(theirs), reason: 'same version and time', now: 2 })).id;
    const r = await kith('contacts', 'resolve', id, '--take', 'twenty', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { conflict_id: string; action: string; contact: CanonicalContact };
    expect(out).toMatchObject({ conflict_id: id, action: 'updated', contact: { contact_id: ID2, job_title: 'Engineer', sync_metadata: { version: bob.sync_metadata.version + 1, last_updated_by: 'kith' } } });
    expect(await new LocalCanonicalStore(t.db).get(ID2)).toEqual(out.contact);
  });

  it('conflicts lists the differences; resolve takes a side plus a field and closes it', async () => {
    const [list, bad] = await Promise.all([kith('contacts', 'conflicts'), kith('contacts', 'resolve', conflictId, '--take', 'notion')]);
    expect(list.stdout).toContain(`${conflictId}  contact ${ID1}  open since`);
    expect(list.stdout).toContain('job_title: "Mathematician" ≠ "Countess"');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`kith: --take notion: 'notion' is not a side of this conflict (local or twenty)\n`);
    const ok = await kith('contacts', 'resolve', conflictId, '--take', 'twenty', 'company=local');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`contact ${ID1} is now version 4 (updated)`);
    const after = (await new LocalCanonicalStore(t.db).get(ID1))!;
    expect(after).toMatchObject({ job_title: 'Countess', company: 'Analytical Engines', sync_metadata: { version: 4, last_updated_by: 'kith' } });
    const [open, again] = await Promise.all([kith('contacts', 'conflicts', '--json'), kith('contacts', 'resolve', conflictId, '--take', 'twenty')]);
    expect(JSON.parse(open.stdout)).toEqual([]);
    expect(again.stderr).toMatch(/already resolved/);
  });
});

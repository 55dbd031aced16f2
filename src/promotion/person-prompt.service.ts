import type { Db } from '../db/db.js';
import { type CanonicalContact, canonicalContact } from '../hub/domain/canonical-contact.js';
import { buildContactContext, buildPromptWithContact } from '../hub/domain/contact-prompt-builder.js';
import { findContact } from '../hub/stores/contact-lookup.store.js';
import { readPersonExtras } from '../hub/stores/person-extras.store.js';
import { NotFoundError } from '../errors.js';
import { localContactMeta } from '../systems/local/contacts-table.js';
import { LocalCanonicalStore } from '../systems/local/local-canonical.store.js';
import { openThreadsByPerson } from './open-threads.js';
import { buildGraphContext, graphFields } from './person-contact.builder.js';
import { entitySources, livePeople, readPersonGraph, recentConversationTails } from './person-graph.reader.js';
import { contactIdForPerson } from './person-contacts.store.js';
import { resolvePersonRef } from './person-ref.js';

export interface PersonPrompt {
  contact_id: string | null;
  person_id: string | null;
  prompt: string;
}

/**
 * The LLM context of one contact or person: a contact by id or email (its canonical record, its
 * llm_context and the linked person's interactions); else a person of the graph by id, email or
 * name — its contact when promoted, else a context built from the graph as its contact would
 * be, so every person Kith knows has one.
 */
export async function promptFor(db: Db, ref: string, opts: { recent?: number; base?: string } = {}): Promise<PersonPrompt> {
  const recent = opts.recent ?? 5;
  const render = (c: CanonicalContact, extras: Awaited<ReturnType<typeof readPersonExtras>>) =>
    opts.base === undefined ? buildContactContext(c, extras) : buildPromptWithContact(opts.base, c, extras);
  const store = new LocalCanonicalStore(db);
  const contact = await findContact(store, ref).catch((err: unknown) => {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  });
  if (contact) {
    const meta = await localContactMeta(db, contact.contact_id);
    return { contact_id: contact.contact_id, person_id: meta?.personId ?? null, prompt: render(contact, await readPersonExtras(db, meta?.personId, recent)) };
  }
  const personId = await resolvePersonRef(db, ref);
  const extras = await readPersonExtras(db, personId, recent);
  const promoted = await store.get(contactIdForPerson(personId));
  if (promoted) return { contact_id: promoted.contact_id, person_id: personId, prompt: render(promoted, extras) };
  const [row] = await livePeople(db, [personId]);
  const sources = (await entitySources(db)).get(personId) ?? [];
  const now = Date.now();
  const threads = openThreadsByPerson(await recentConversationTails(db, now)).get(personId) ?? [];
  const graph = await readPersonGraph(db, row!, sources, threads, now, recent);
  const transient = canonicalContact.parse({
    ...graphFields(graph),
    llm_context: { graph: buildGraphContext(graph) },
    contact_id: contactIdForPerson(personId),
    sync_metadata: { version: 1, last_updated: new Date(now).toISOString(), last_updated_by: 'kith' },
  });
  return { contact_id: null, person_id: personId, prompt: render(transient, extras) };
}

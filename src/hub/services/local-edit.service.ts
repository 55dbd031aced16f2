import { type ContactFields, contactFields } from '../domain/canonical-contact.js';
import { type IncomingFields, mergeIncoming } from '../domain/contact-merge.js';
import type { ContactFieldKey } from '../domain/contact-content.js';
import { InvalidInputError, NotFoundError } from '../../errors.js';
import type { Hub } from '../hub-context.js';
import { withContactLock } from '../stores/contact-lock.store.js';
import { LocalContactSystem } from '../../systems/local/local-contact-system.js';
import { applyInbound } from './inbound.service.js';
import { enqueueFanout, markFanoutPending } from './propagation.service.js';
import { VersionConflictError } from '../ports/canonical-store.js';

export interface LocalEditResult {
  contactId: string;
  version: number;
  /** Fields whose value changed. */
  applied: ContactFieldKey[];
  /** Fields another system owns: kept as they were, with their owner. */
  rejected: { field: ContactFieldKey; owner: string }[];
  fanout?: string;
}

/** The edit's fields checked against the canonical model: a bad value is an error naming the field. */
export function checkEditFields(fields: Partial<ContactFields>): Partial<ContactFields> {
  const r = contactFields.partial().strict().safeParse(fields);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new InvalidInputError(`${issue.path.join('.') || 'fields'}: ${issue.message}`);
  }
  // Only the fields given: the model's defaults must not turn an absent field into a null.
  return Object.fromEntries(Object.entries(r.data).filter(([k]) => Object.hasOwn(fields, k))) as Partial<ContactFields>;
}

/**
 * An edit made in Kith's own database (`kith contacts edit`), carried like an edit made in Twenty
 * or Supabase: merged into the canonical record under the field ownership table (a field another
 * system owns keeps its value unless it is empty), version + 1, then fanned out to every system.
 * With the local database canonical, the merge is written there under the contact's lock with its
 * outbox rows; when BigQuery is canonical, the local copy is edited and the inbound path reads
 * it back as it does a Supabase or Twenty copy. Idempotent: the same edit again changes nothing.
 */
export async function editLocalContact(hub: Hub, contactId: string, raw: Partial<ContactFields>): Promise<LocalEditResult> {
  const fields = checkEditFields(raw);
  if (!Object.keys(fields).length) throw new InvalidInputError('contacts edit: give at least one field to change (--job-title, --company, …)');
  const { canonical, ownership } = hub.systems;
  const current = await canonical.get(contactId);
  if (!current) throw new NotFoundError(`no contact with id ${contactId}`);
  const preview = mergeIncoming(current, fields as IncomingFields, 'local', ownership, { now: new Date(hub.clock()).toISOString() });
  const rejected = preview.rejected.map((field) => ({ field, owner: ownership[field] ?? 'nobody' }));
  if (hub.systems.canonicalName !== 'local') {
    await new LocalContactSystem(hub.db, hub.clock).applyLocalEdit(contactId, fields as IncomingFields);
    const r = await applyInbound(hub, { system: 'local', externalId: contactId, at: new Date(hub.clock()).toISOString() }, { origin: 'local-edit' });
    const after = (await canonical.get(contactId))!;
    return { contactId, version: after.sync_metadata.version, applied: preview.applied, rejected, fanout: 'fanout' in r ? r.fanout : undefined };
  }
  return withContactLock(hub.redis, hub.prefix, contactId, async () => {
    for (let attempt = 0; ; attempt++) {
      const now = hub.clock();
      const cur = (await canonical.get(contactId))!;
      const m = mergeIncoming(cur, fields as IncomingFields, 'local', ownership, { now: new Date(now).toISOString() });
      if (!m.changed) return { contactId, version: cur.sync_metadata.version, applied: [], rejected: m.rejected.map((field) => ({ field, owner: ownership[field] ?? 'nobody' })) };
      const item = { contactId, version: m.contact.sync_metadata.version };
      try {
        await canonical.putWith!(m.contact, cur.sync_metadata.version, (q) => markFanoutPending(q, hub, item, [], now), { origin: 'local-edit' });
      } catch (err) {
        if (err instanceof VersionConflictError && attempt < 3) continue;
        throw err;
      }
      const f = await enqueueFanout(hub, [item], { origin: 'local-edit', guard: true, pendingMarked: true });
      return { contactId, version: item.version, applied: m.applied, rejected: m.rejected.map((field) => ({ field, owner: ownership[field] ?? 'nobody' })), fanout: f.id };
    }
  });
}

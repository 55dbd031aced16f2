/**
 * The contact hub's pure domain: no I/O anywhere below this folder.
 *
 * How the parts compose (tests/contacts/hub-flow.test.ts runs exactly this):
 *  A change from system S (webhook or a listChanged page), record `rec`:
 *   1. link = findLinkByExternalId(db, S, rec.externalId)        (src/hub/stores/contact-links.store.ts)
 *   2. isEcho(hashSystemFields(rec.fields, rec.deletedAt), link, rec.version) → stop: no writes
 *   3. current = store.get(id); d = decideIncoming(current, rec, ownership, now)
 *      create/update → store.put(d.contact, current?.version ?? 0)  (compare-and-set; a
 *                      VersionConflictError is temporary: re-run the job) then markPending + fan out
 *      stale         → write the canonical record back to S
 *      conflict      → recordConflict(db, {a: conflictSide(current), b: conflictSide(rec), …})
 *      unchanged     → nothing
 *  A write of canonical record c to target T that holds fields K:
 *   upsert, then recordLink(db, {hash: hashForSystem(c, K), version}) and markPropagated.
 */
export * from './alignment-validator.js';
export * from './conflict-resolver.js';
export * from './contact-content.js';
export * from './contact-merge.js';
export * from './contact-normalise.js';
export * from './contact-prompt-builder.js';
export * from './contact-version.js';
export * from './drift-report.js';
export * from './echo-detector.js';
export * from './field-ownership.js';
export * from './conflict-take.js';

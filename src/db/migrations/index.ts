import type { Migration } from '../migration.js';
import { m010SyncRunSteps } from './010-sync-run-steps.js';
import { m001SyncState } from './001-sync-state.js';
import { m002People } from './002-people.js';
import { m003Contacts } from './003-contacts.js';
import { m011InteractionsUncheckedPerson } from './011-interactions-unchecked-person.js';
import { m012RelationshipsClustered } from './012-relationships-clustered.js';
import { m013OutboxPendingPartial } from './013-outbox-pending-partial.js';
import { m014SyncLogsCounts } from './014-sync-logs-counts.js';
import { m015SyncStateWarning } from './015-sync-state-warning.js';
import { m016SyncStateSkipped } from './016-sync-state-skipped.js';
import { m017PeopleFillfactor } from './017-people-fillfactor.js';
import { m018SearchIndex } from './018-search-index.js';
import { m019SearchVectors } from './019-search-vectors.js';
import { m020PersonContacts } from './020-person-contacts.js';
import { m021SourceItems } from './021-source-items.js';
import { m022TableSync } from './022-table-sync.js';
import { m023ContactVersions } from './023-contact-versions.js';
import { m024ContactCrmFields } from './024-contact-crm-fields.js';
import { m025SearchNoteStamps } from './025-search-note-stamps.js';

/** Every migration (applied in version order). Add new files here; never edit an applied one. */
export const MIGRATIONS: readonly Migration[] = [
  m010SyncRunSteps, m001SyncState, m002People, m003Contacts, m011InteractionsUncheckedPerson, m012RelationshipsClustered, m013OutboxPendingPartial, m014SyncLogsCounts, m015SyncStateWarning, m016SyncStateSkipped, m017PeopleFillfactor,
  m018SearchIndex,
  m019SearchVectors,
  m020PersonContacts,
  m021SourceItems,
  m022TableSync,
  m023ContactVersions,
  m024ContactCrmFields,
  m025SearchNoteStamps,
];

import type { ContactFields, SystemName } from './canonical-contact.js';

/**
 * A contact as one system holds it, mapped into canonical field names. `fields` holds only
 * what that system stores (Twenty has no llm_context, for example).
 */
export interface SystemContact {
  system: SystemName;
  /** The system's own id for the record. */
  externalId: string;
  /** Kith's contact id when the system stores it (or it equals externalId); else resolved via links. */
  contactId?: string;
  fields: Partial<ContactFields>;
  /** Version carried by the system, when it stores sync metadata. */
  version?: number;
  updatedAt: string;
  updatedBy?: SystemName;
  deletedAt: string | null;
}

import { people_v1 } from '@googleapis/people';
import type { OAuth2Client } from 'google-auth-library';
import type { Limiter } from '../../limits/request-limiter.js';
import { callGoogle, type GoogleCallOptions } from '../google-request.js';
import { refinePeopleError } from './people-errors.js';

export type Person = people_v1.Schema$Person;
export type ConnectionsPage = people_v1.Schema$ListConnectionsResponse;

/** The fields every read asks for (and the writes answer with). */
export const PERSON_FIELDS = 'names,emailAddresses,phoneNumbers,organizations,urls,memberships,metadata,clientData';
/** The fields a write of Kith's sets: names, emails, phones, company and title, and Kith's contact id. */
export const UPDATE_PERSON_FIELDS = 'names,emailAddresses,phoneNumbers,organizations,clientData';

export interface PeopleClientOptions {
  /** The API root (`rootUrl`): Google's, a proxy's, or a loopback emulator's. */
  baseUrl: string;
  auth: OAuth2Client;
  /** Contact reads (list, get) and writes (create, update, delete): two per-user budgets. */
  reads: Limiter;
  writes: Limiter;
  signal?: AbortSignal;
  onRateLimited?: () => void;
  timeoutMs?: number;
}

/**
 * The People API calls Kith makes, each under the account's shared read or write budget and
 * Google's error table (with People's expired sync token and stale etag on top). The SDK's own
 * retrying is off: rate limits and 5xx are handled by callGoogle, so a wait is never an attempt.
 */
export class PeopleClient {
  private readonly api: people_v1.People;
  private readonly base: Omit<GoogleCallOptions, 'limiter'>;

  constructor(private readonly o: PeopleClientOptions) {
    const rootUrl = o.baseUrl.endsWith('/') ? o.baseUrl : `${o.baseUrl}/`;
    // The SDK is typed against its own google-auth-library; the client is the same protocol.
    this.api = new people_v1.People({ rootUrl, auth: o.auth as never, retry: false, timeout: o.timeoutMs ?? 30_000 });
    this.base = { api: 'contacts', maxRetries: 5, backoffMs: 250, ...(o.signal ? { signal: o.signal } : {}), ...(o.onRateLimited ? { onRateLimited: o.onRateLimited } : {}) };
  }

  private async run<T>(budget: 'reads' | 'writes', what: string, fn: () => Promise<{ data: T }>): Promise<T> {
    try {
      return await callGoogle({ ...this.base, limiter: this.o[budget] }, what, 1, async () => (await fn()).data);
    } catch (err) {
      throw refinePeopleError(err, what);
    }
  }

  /** One page of `people/me` connections: a full listing (asking for a sync token) or the changes since `syncToken`. */
  listConnections(p: { pageToken?: string; syncToken?: string; pageSize: number }): Promise<ConnectionsPage> {
    return this.run('reads', 'people.connections.list', () =>
      this.api.people.connections.list({
        resourceName: 'people/me',
        personFields: PERSON_FIELDS,
        pageSize: p.pageSize,
        requestSyncToken: true,
        ...(p.syncToken ? { syncToken: p.syncToken } : {}),
        ...(p.pageToken ? { pageToken: p.pageToken } : {}),
      }),
    );
  }

  get(resourceName: string): Promise<Person> {
    return this.run('reads', `people.get ${resourceName}`, () => this.api.people.get({ resourceName, personFields: PERSON_FIELDS }));
  }

  create(person: Person): Promise<Person> {
    return this.run('writes', 'people.createContact', () => this.api.people.createContact({ personFields: PERSON_FIELDS, requestBody: person }));
  }

  /** `person.etag` must be the one read last: a stale one is refused (isStaleEtag). */
  update(resourceName: string, person: Person): Promise<Person> {
    return this.run('writes', `people.updateContact ${resourceName}`, () =>
      this.api.people.updateContact({ resourceName, updatePersonFields: UPDATE_PERSON_FIELDS, personFields: PERSON_FIELDS, requestBody: person }),
    );
  }

  async delete(resourceName: string): Promise<void> {
    await this.run('writes', `people.deleteContact ${resourceName}`, () => this.api.people.deleteContact({ resourceName }));
  }
}

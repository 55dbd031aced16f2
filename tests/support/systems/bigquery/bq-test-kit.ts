import { randomUUID } from 'node:crypto';
import { type BigQueryConfig, loadBigQueryConfig } from '../../../../src/config/bigquery.config.js';
import type { CanonicalContact } from '../../../../src/hub/domain/canonical-contact.js';
import { type BigQueryContactSystem, createBigQueryContactSystem } from '../../../../src/systems/bigquery/bigquery-contact-system.js';
import { type BigQueryEmulator, type BigQueryEmulatorOptions, startBigQueryEmulator } from '../../../emulators/bigquery/bigquery-emulator.js';

export const TOKEN = 'test-token-bq';

export interface Kit {
  emu: BigQueryEmulator;
  config: BigQueryConfig;
  store: BigQueryContactSystem;
  stop(): Promise<void>;
}

/** An emulator and an adapter built from environment-style config, as production builds it. */
export async function startKit(opts: BigQueryEmulatorOptions & { maxRetries?: number; overlapMs?: number; now?: () => number } = {}): Promise<Kit> {
  const emu = await startBigQueryEmulator({ token: TOKEN, ...opts });
  const config = loadBigQueryConfig({
    BIGQUERY_PROJECT_ID: emu.projectId,
    BIGQUERY_API_ENDPOINT: emu.url,
    BIGQUERY_ACCESS_TOKEN: TOKEN,
    BIGQUERY_MAX_RETRIES: String(opts.maxRetries ?? 0),
  })!;
  const store = createBigQueryContactSystem(config, { overlapMs: opts.overlapMs, now: opts.now, clientOptions: { maxRetryDelayMs: 20 } });
  await store.ensureSchema();
  return { emu, config, store, stop: () => emu.stop() };
}

export function contact(over: Partial<CanonicalContact> & { version?: number } = {}): CanonicalContact {
  const { version, ...rest } = over;
  return {
    contact_id: randomUUID(),
    canonical_name: 'Ada Lovelace',
    first_name: 'Ada',
    last_name: 'Lovelace',
    emails: ['ada@example.org'],
    phones: ['+441234567890'],
    company: 'Analytical Engines',
    job_title: 'Programmer',
    category_code: 'B',
    subcategory_code: 'B1',
    notes: null,
    llm_context: { relationship_arc: 'met at a salon', key_interests: ['maths', 'poetry'], closeness_level: 7 },
    deleted_at: null,
    sync_metadata: { version: version ?? 1, last_updated: '2026-01-27T10:00:00Z', last_updated_by: 'twenty' },
    ...rest,
  };
}

export function versionRows(emu: BigQueryEmulator): Record<string, unknown>[] {
  return emu.tableRows('kith', 'contact_versions');
}

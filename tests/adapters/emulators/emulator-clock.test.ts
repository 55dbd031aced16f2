import { afterEach, describe, expect, it } from 'vitest';
import { startBigQueryEmulator } from '../../emulators/bigquery/bigquery-emulator.js';
import { EmulatorClock } from '../../emulators/emulator-clock.js';
import { startSupabaseEmulator } from '../../emulators/supabase/supabase-emulator.js';
import { startTwentyEmulator } from '../../emulators/twenty/twenty-emulator.js';
import { postgresUrl } from '../../support/test-env.js';

const MINUTE = 60_000;
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

describe('one clock for the emulators', () => {
  it('moves Twenty, Supabase (inside PostgreSQL) and BigQuery forward together, and only forward', async () => {
    const clock = new EmulatorClock();
    const twenty = await startTwentyEmulator({ clock });
    stops.push(() => twenty.stop());
    const supabase = await startSupabaseEmulator({ postgresUrl: postgresUrl(), clock });
    stops.push(() => supabase.stop());
    const bigquery = await startBigQueryEmulator({ clock });
    stops.push(() => bigquery.stop());

    const person = twenty.createPerson({ name: { firstName: 'Ada', lastName: 'Lovelace' } });
    const [row] = await supabase.sql<{ contact_id: string; updated_at: Date; created_at: Date }>(
      `INSERT INTO contacts (canonical_name) VALUES ('Ada Lovelace') RETURNING contact_id, updated_at, created_at`,
    );
    const realBefore = Date.now();
    await clock.advance(MINUTE);
    expect(clock.now() - Date.now()).toBeGreaterThanOrEqual(MINUTE - 5);

    // Twenty stamps an edit with the clock's time.
    const edited = twenty.editPerson(person.id as string, { jobTitle: 'Analyst' });
    expect(Date.parse(String(edited.updatedAt)) - Date.parse(String(person.updatedAt))).toBeGreaterThanOrEqual(MINUTE);
    // Supabase's trigger (clock_timestamp()) and column defaults (now()) read it inside PostgreSQL.
    const [after] = await supabase.sql<{ updated_at: Date }>(`UPDATE contacts SET notes = 'later' WHERE contact_id = $1 RETURNING updated_at`, [row!.contact_id]);
    expect(after!.updated_at.getTime() - row!.updated_at.getTime()).toBeGreaterThanOrEqual(MINUTE);
    const [fresh] = await supabase.sql<{ created_at: Date }>(`INSERT INTO contacts (canonical_name) VALUES ('Grace Hopper') RETURNING created_at`);
    expect(fresh!.created_at.getTime()).toBeGreaterThanOrEqual(realBefore + MINUTE);
    // BigQuery's CURRENT_TIMESTAMP (microseconds) too.
    const { t } = bigquery.db.prepare('SELECT BQ_CURRENT_TIMESTAMP() AS t').get() as { t: bigint | number };
    expect(Number(t) / 1000).toBeGreaterThanOrEqual(realBefore + MINUTE);

    await expect(clock.advance(-1)).rejects.toThrow(/only moves forward/);
  });

  it('each emulator keeps real time on a clock of its own by default', async () => {
    const twenty = await startTwentyEmulator();
    stops.push(() => twenty.stop());
    const before = Date.now();
    const person = twenty.createPerson({ name: { firstName: 'Katherine', lastName: 'Johnson' } });
    expect(Date.parse(String(person.updatedAt))).toBeGreaterThanOrEqual(before);
    expect(Date.parse(String(person.updatedAt))).toBeLessThanOrEqual(Date.now());
  });
});

import type { Db } from '../db/db.js';

/** Totals for the run summary; tables another area owns are counted only when present. */
export async function runSummary(db: Db): Promise<{ people: number; interactions: number; relationships: number }> {
  const count = async (sql: string) => {
    try {
      return Number((await db.get<{ n: number }>(sql))?.n ?? 0);
    } catch {
      return 0;
    }
  };
  return {
    people: await count('SELECT COUNT(*) AS n FROM people WHERE merged_into IS NULL'),
    interactions: await count('SELECT COUNT(*) AS n FROM interactions'),
    relationships: await count('SELECT COUNT(*) AS n FROM relationships'),
  };
}

import { Command } from 'commander';
import { openDbFromEnv } from '../../app/open-db-from-env.js';
import { verifyStats } from '../../people/stats.service.js';

/** `kith stats verify [--fix] [--json]`: cached counts against a recomputation; exit 1 while any remain. */
function verifyCommand(): Command {
  return new Command('verify')
    .description('compare every cached count with a recomputation from the interactions; exit 1 when any differ and were not fixed')
    .option('--fix', 'repair the people listed')
    .option('--json', 'print one JSON object')
    .action(async (o: { fix?: boolean; json?: boolean }) => {
      const db = await openDbFromEnv();
      try {
        const r = await verifyStats(db, { fix: o.fix });
        const found = r.discrepancies.length + r.orphans.length;
        const remaining = o.fix ? found - r.fixed : found;
        if (o.json) console.log(JSON.stringify({ ...r, remaining: Math.max(0, remaining) }));
        else {
          for (const d of r.discrepancies) {
            const fields = d.fields.map((f) => `${f.field} cached ${f.cached} computed ${f.computed}`).join('; ');
            console.log(`${d.personId}  ${d.name || '(no name)'}: ${fields}`);
          }
          for (const x of r.orphans) console.log(`${x.personId}  (missing person): ${x.interactions} interactions belong to no existing person`);
          if (r.orphans.length && !o.fix) console.log(`${r.orphans.length} missing people own interactions; --fix re-creates them unnamed (then merge each into the right person).`);
          console.log(
            `${r.checkedPeople} people checked, ${r.discrepancies.length} with discrepancies${o.fix ? `, ${r.fixed} fixed` : r.discrepancies.length ? ' (run with --fix to repair)' : ''}.`,
          );
        }
        if (remaining > 0) process.exitCode = 1;
      } finally {
        await db.close();
      }
    });
}

export function statsCommand(): Command {
  return new Command('stats').description('interaction counts: verification and repair').addCommand(verifyCommand());
}

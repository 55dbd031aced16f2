import { Command, Option } from 'commander';
import { withDb } from '../../app/open-db-from-env.js';
import { getPerson, listPeople, listReviews, type PeopleOrder, type PersonSummary } from '../../people/people-query.service.js';
import { mergePeople, unmerge } from '../../people/merge.service.js';
import { splitPerson } from '../../people/split.service.js';
import { CliError } from '../cli-error.js';

/** `kith people list|show|merge|split|unmerge|review` over the local database. */

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().slice(0, 10));
const total = (p: PersonSummary) => p.counts.email + p.counts.meeting + p.counts.message + p.counts.mention + p.counts.call;
const label = (p: PersonSummary) => p.name || p.emails[0] || p.phones[0] || '(no name)';

/** Their contacts follow at once when Redis is configured (people-categorize.command.ts). */
async function carry(personIds: string[], quiet?: boolean): Promise<void> {
  const { carryToContacts } = await import('./people-categorize.command.js');
  const r = await carryToContacts(personIds);
  if (r && !quiet) console.log(`Contacts: ${r.created} created, ${r.updated} updated, ${r.merged} merged away, ${r.restored} restored.`);
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`--limit must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

function listCommand(): Command {
  return new Command('list')
    .description('people with their interaction counts')
    .option('--json', 'print one JSON array')
    .option('--limit <n>', 'how many', positiveInt, 50)
    .option('--search <text>', 'only names, emails or phones containing this')
    .addOption(new Option('--sort <order>', 'order').choices(['interactions', 'recent', 'strength', 'name']).default('interactions'))
    .action(async (o: { json?: boolean; limit: number; search?: string; sort: PeopleOrder }) =>
      withDb(async (db) => {
        const people = await listPeople(db, { limit: o.limit, search: o.search, order: o.sort });
        if (o.json) return console.log(JSON.stringify(people));
        if (!people.length) return console.log('No people yet. Run `kith sync` to build them from your exports.');
        for (const p of people) {
          const c = p.counts;
          console.log(
            `${p.id}  ${label(p).padEnd(28).slice(0, 28)}  ${String(total(p)).padStart(6)}  ` +
              `email ${c.email} meeting ${c.meeting} message ${c.message} mention ${c.mention} call ${c.call}  last ${iso(p.lastInteractionAt)}`,
          );
        }
      }),
    );
}

function showCommand(): Command {
  return new Command('show')
    .description('one person: identifiers, source entities, counts, recent interactions, relationships')
    .argument('<person-id>')
    .option('--json', 'print one JSON object')
    .action(async (id: string, o: { json?: boolean }) =>
      withDb(async (db) => {
        const p = await getPerson(db, id).catch((e: Error) => {
          throw new CliError(e.message);
        });
        if (o.json) return console.log(JSON.stringify(p));
        console.log(`${label(p)}  (${p.id})${p.mergedInto ? `  merged into ${p.mergedInto}` : ''}`);
        if (p.emails.length) console.log(`  emails:  ${p.emails.join(', ')}`);
        if (p.phones.length) console.log(`  phones:  ${p.phones.join(', ')}`);
        if (p.company || p.jobTitle) console.log(`  work:    ${[p.jobTitle, p.company].filter(Boolean).join(' at ')}`);
        const c = p.counts;
        console.log(`  counts:  email ${c.email}, meeting ${c.meeting}, message ${c.message}, mention ${c.mention}, call ${c.call}`);
        console.log(`  sources: ${p.sources.join(', ') || '-'}   first ${iso(p.firstInteractionAt)}   last ${iso(p.lastInteractionAt)}   strength ${p.strength ?? '-'}`);
        console.log('  entities (use with `kith people split --entities`):');
        for (const e of p.entities) console.log(`    ${e.id}${e.pinned ? ' (pinned)' : ''}  ${[...e.names, ...e.emails, ...e.phones, ...e.handles].join(', ')}`);
        if (p.recentInteractions.length) console.log('  recent:');
        for (const i of p.recentInteractions) console.log(`    ${iso(i.occurredAt)}  ${i.sourceType.padEnd(8)}  ${i.title}`);
        if (p.relationships.length) console.log('  knows:');
        for (const r of p.relationships) console.log(`    ${r.name || r.personId}  events ${r.events}, threads ${r.threads}, messages ${r.messages}`);
      }),
    );
}

function mergeCommand(): Command {
  return new Command('merge')
    .description('merge people into the first one: interactions and entities move, counts follow, one audit row')
    .argument('<keep>', 'person that stays')
    .argument('<other...>', 'people merged into it')
    .option('--json', 'print the result as JSON')
    .action(async (keep: string, others: string[], o: { json?: boolean }) =>
      withDb(async (db) => {
        const r = await mergePeople(db, keep, others);
        await carry([r.keep, ...r.merged], o.json);
        if (o.json) return console.log(JSON.stringify(r));
        console.log(`Merged ${r.merged.join(', ')} into ${r.keep}: ${r.movedInteractions} interactions, ${r.movedEntities} entities moved.`);
        console.log(`Undo with: kith people unmerge ${r.auditId}`);
      }),
    );
}

function splitCommand(): Command {
  return new Command('split')
    .description('move source entities (and their interactions) from a person to a new person')
    .argument('<person-id>')
    .requiredOption('--entities <ids...>', 'entity ids as shown by `kith people show` (source:external_id)')
    .option('--name <name>', 'name of the new person')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, o: { entities: string[]; name?: string; json?: boolean }) =>
      withDb(async (db) => {
        const r = await splitPerson(db, id, o.entities, { name: o.name });
        await carry([r.from, r.to], o.json);
        if (o.json) return console.log(JSON.stringify(r));
        console.log(`Split ${r.movedEntities} entities and ${r.movedInteractions} interactions from ${r.from} into new person ${r.to} (audit ${r.auditId}).`);
      }),
    );
}

function unmergeCommand(): Command {
  return new Command('unmerge')
    .description('undo a merge exactly, from its audit id')
    .argument('<audit-id>')
    .option('--json', 'print the result as JSON')
    .action(async (auditId: string, o: { json?: boolean }) =>
      withDb(async (db) => {
        const r = await unmerge(db, auditId);
        const keep = (await db.get<{ details: string }>('SELECT details FROM people_audit WHERE id = ?', [r.auditId]))?.details;
        await carry([...(keep ? [(JSON.parse(keep) as { keep: string }).keep] : []), ...r.restored], o.json);
        if (o.json) return console.log(JSON.stringify(r));
        console.log(`Restored ${r.restored.join(', ')} (${r.movedInteractions} interactions, ${r.movedEntities} entities moved back).`);
      }),
    );
}

function reviewCommand(): Command {
  return new Command('review')
    .description('source entities whose identifiers match several people: not merged automatically')
    .option('--json', 'print one JSON array')
    .action(async (o: { json?: boolean }) =>
      withDb(async (db) => {
        const items = await listReviews(db);
        if (o.json) return console.log(JSON.stringify(items));
        if (!items.length) return console.log('Nothing to review.');
        for (const r of items) {
          console.log(`${r.entity}  ${r.reason}`);
          for (const c of r.candidates) console.log(`    ${c.id}  ${c.name}`);
          console.log(`  merge with: kith people merge ${r.candidates.map((c) => c.id).join(' ')}`);
        }
      }),
    );
}

export function peopleCommand(): Command {
  return new Command('people')
    .description('the people Kith knows, their counts, merges and splits')
    .addCommand(listCommand())
    .addCommand(showCommand())
    .addCommand(mergeCommand())
    .addCommand(splitCommand())
    .addCommand(unmergeCommand())
    .addCommand(reviewCommand());
}

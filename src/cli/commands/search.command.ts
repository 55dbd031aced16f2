import { Command, Option } from 'commander';
import { withDb } from '../../app/open-db-from-env.js';
import { KithError } from '../../errors.js';
import { resolvePerson } from '../../search/person-filter.js';
import { MARK, search, SEARCH_MODES, type SearchMode, type SearchResult } from '../../search/search.service.js';
import { withVectors } from '../../search/vector-wiring.js';
import { CliError } from '../cli-error.js';
import { parseSearchParams } from '../../search/search-params.js';

/** `kith search "<query>" [--person …] [--source …] [--since …] [--until …] [--limit n] [--mode …] [--json]`. */
export function searchCommand(): Command {
  return new Command('search')
    .description('search notes, documents, mail, meetings and messages (BM25; vectors when KITH_EMBEDDINGS_URL is set)')
    .argument('[query]', 'words to look for: any may match; "quotes" for a phrase, word* for a prefix')
    .option('--person <who>', 'only what concerns this person (id, email or name); alone: what mentions them, newest first')
    .option('--source <types...>', 'only these source types (gmail, calendar, slack, whatsapp, imessage, sms, linkedin, vault, granola)')
    .option('--since <date>', 'from this date or time (YYYY-MM-DD or ISO 8601)')
    .option('--until <date>', 'before this date or time')
    .option('--limit <n>', 'how many hits', '10')
    .addOption(new Option('--mode <mode>', 'ranking').choices([...SEARCH_MODES]).default('bm25'))
    .option('--json', 'print one JSON object')
    .action(async (query: string | undefined, o: { person?: string; source?: string[]; since?: string; until?: string; limit: string; mode: SearchMode; json?: boolean }) =>
      withDb(async (db) => {
        try {
          const params = parseSearchParams({ q: query, person: o.person, source: o.source, since: o.since, until: o.until, limit: o.limit, mode: o.mode });
          const person = params.person ? await resolvePerson(db, params.person) : undefined;
          const { r, off } = await withVectors(db, async ({ vectors, off }) => ({ r: await search(db, { ...params, personId: person?.id }, vectors), off }));
          if (r.notice ?? off) console.error(r.notice ?? off);
          if (o.json) return console.log(JSON.stringify({ mode: r.mode, hits: r.hits }));
          printHuman(r, person?.name);
        } catch (e) {
          if (e instanceof KithError) throw new CliError(e.message);
          throw e;
        }
      }),
    );
}

function printHuman(r: SearchResult, person: string | undefined): void {
  if (!r.hits.length) return console.log(person ? `Nothing indexed concerns ${person}.` : 'No match. Run `kith sync` (or `kith index rebuild`) if the index is empty.');
  const bold = process.stdout.isTTY ? (s: string) => s.split(MARK.open).map((p, i) => (i % 2 ? `\x1b[1m${p}\x1b[0m` : p)).join('') : (s: string) => s;
  r.hits.forEach((h, i) => {
    console.log(`${i + 1}. ${h.title || '(untitled)'}  [${h.source}, ${h.at.slice(0, 10)}]${h.people.length ? `  with ${h.people.join(', ')}` : ''}`);
    if (h.snippet) console.log(`   ${bold(h.snippet)}`);
    console.log(`   ${h.ref}`);
  });
}

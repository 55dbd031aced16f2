import { Command } from 'commander';
import { withDb } from '../../app/open-db-from-env.js';
import { rebuildIndex } from '../../search/rebuild.service.js';
import { pruneUnusedVectors, withVectors } from '../../search/vector-wiring.js';
import { loadKithConfig, resolveConfigPath } from '../../sync/kith-config.js';
import { CliError } from '../cli-error.js';

/** `kith index rebuild [--embeddings]`: the search index from the database and the notes folders. */
export function indexCommand(): Command {
  const rebuild = new Command('rebuild')
    .description('drop the search index and build it again from the database and the notes folders (progress on stderr)')
    .option('--embeddings', 'also embed every chunk not yet embedded (needs KITH_EMBEDDINGS_URL)')
    .option('--json', 'print the counts as one JSON object')
    .action(async (o: { embeddings?: boolean; json?: boolean }) =>
      withDb((db) => withVectors(db, async ({ vectors, off }) => {
        if (o.embeddings && !vectors) throw new CliError(`--embeddings: ${off}`);
        const config = loadKithConfig(resolveConfigPath().file);
        let last = '';
        const r = await rebuildIndex(db, config.sources, {
          vectors: o.embeddings ? vectors : undefined,
          progress: (stage: string, done: number) => {
            const line = `indexing ${stage}: ${done} items`;
            if (line !== last) process.stderr.write(`${line}\n`);
            last = line;
          },
        });
        // Vectors of chunks the rebuild no longer has are dropped (a chunk is embedded by content).
        const pruned = vectors ? await pruneUnusedVectors(db, vectors.model) : 0;
        if (o.json) return console.log(JSON.stringify({ ...r, ...(vectors ? { vectorsPruned: pruned } : {}) }));
        for (const k of ['notes', 'mail', 'calendar', 'message'] as const) console.log(`${k.padEnd(9)} ${r[k].written} chunks written`);
        for (const f of r.missingFolders) console.log(`notes folder not found, skipped: ${f}`);
        if (r.embedded !== undefined) console.log(`embedded  ${r.embedded} chunks`);
        else if (!o.embeddings) console.log(off ?? 'vectors: run with --embeddings to embed new chunks');
      })),
    );
  return new Command('index').description('the search index').addCommand(rebuild);
}

import { Command, InvalidArgumentError } from 'commander';
import { openDbFromEnv } from '../../app/open-db-from-env.js';
import { joinContactContexts } from '../../hub/domain/contact-prompt-builder.js';
import { promptFor } from '../../promotion/person-prompt.service.js';

function count(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 100) throw new InvalidArgumentError('must be an integer 0–100');
  return n;
}

export function promptCommand(): Command {
  return new Command('prompt')
    .description('print the LLM context of contacts or people (canonical record, llm_context, the person’s interactions); several at once')
    .argument('<ref...>', 'contact id, email, person id or name (a person not promoted to a contact gets a context from the graph)')
    .option('--base <text>', 'base prompt to put before the context')
    .option('--recent <n>', 'recent interactions to include', count, 5)
    .option('--json', 'print {contact_id, person_id, prompt} as one JSON object (an array for several)')
    .action(async (refs: string[], opts: { base?: string; recent: number; json?: boolean }) => {
      const db = await openDbFromEnv();
      try {
        const one = refs.length === 1;
        const out = [];
        for (const ref of refs) out.push(await promptFor(db, ref, { recent: opts.recent, base: one ? opts.base : undefined }));
        if (opts.json) return console.log(JSON.stringify(one ? out[0] : out));
        if (one) return console.log(out[0]!.prompt);
        const body = joinContactContexts(out.map((p) => p.prompt));
        console.log(opts.base?.trim() ? `${opts.base.trim()}\n\n${body}` : body);
      } finally {
        await db.close();
      }
    });
}

import { Command, InvalidArgumentError } from 'commander';
import { openDbFromEnv } from '../../app/open-db-from-env.js';
import { findContact } from '../../hub/stores/contact-lookup.store.js';
import { readPersonExtras } from '../../hub/stores/person-extras.store.js';
import { buildContactContext, buildPromptWithContact } from '../../hub/domain/contact-prompt-builder.js';
import { localContactMeta } from '../../systems/local/contacts-table.js';
import { LocalCanonicalStore } from '../../systems/local/local-canonical.store.js';

function count(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 100) throw new InvalidArgumentError('must be an integer 0–100');
  return n;
}

export function promptCommand(): Command {
  return new Command('prompt')
    .description('print the LLM context for one contact (canonical record, llm_context, linked person’s interactions)')
    .argument('<contact_id|email>', 'contact id or one of its email addresses')
    .option('--base <text>', 'base prompt to put before the contact context')
    .option('--recent <n>', 'recent interactions to include', count, 5)
    .option('--json', 'print {contact_id, prompt} as one JSON object')
    .action(async (ref: string, opts: { base?: string; recent: number; json?: boolean }) => {
      const db = await openDbFromEnv();
      try {
        const contact = await findContact(new LocalCanonicalStore(db), ref);
        const meta = await localContactMeta(db, contact.contact_id);
        const extras = await readPersonExtras(db, meta?.personId, opts.recent);
        const prompt = opts.base === undefined ? buildContactContext(contact, extras) : buildPromptWithContact(opts.base, contact, extras);
        console.log(opts.json ? JSON.stringify({ contact_id: contact.contact_id, person_id: meta?.personId ?? null, prompt }) : prompt);
      } finally {
        await db.close();
      }
    });
}

import { Command } from 'commander';
import { loadDotenv } from '../../config/parse-env.js';
import { isTwentyConfigured, loadTwentyConfig } from '../../config/twenty.config.js';
import { ConfigError } from '../../config/config-error.js';
import { TwentyClient } from '../../systems/twenty/twenty-client.js';
import { DEFAULT_TWENTY_CATEGORY_FIELD, ensureTwentyCategoryField } from '../../systems/twenty/category-field.setup.js';

/**
 * `kith contacts setup twenty`: prepare the Twenty workspace for Kith — the custom text field of
 * people that holds the category code (TWENTY_CATEGORY_FIELD, default kithCategory), created
 * through Twenty's metadata API when missing. Safe to run again.
 */
function setupTwentyCommand(): Command {
  return new Command('twenty')
    .description('create the custom field of Twenty people that holds the category code, when missing')
    .option('--json', 'print the outcome as one JSON object')
    .action(async (opts: { json?: boolean }) => {
      loadDotenv();
      if (!isTwentyConfigured()) throw new ConfigError('TWENTY_API_URL', 'must be set to set up Twenty');
      const c = loadTwentyConfig();
      const client = new TwentyClient({ apiUrl: c.apiUrl, apiKey: c.apiKey, rateLimit: c.rateLimit });
      try {
        const field = c.categoryField ?? DEFAULT_TWENTY_CATEGORY_FIELD;
        const r = await ensureTwentyCategoryField(client, field);
        if (opts.json) console.log(JSON.stringify({ ...r, configured: c.categoryField !== undefined }));
        else {
          console.log(r.action === 'created' ? `created the custom field ${field} on Twenty people` : `Twenty people already have the field ${field}`);
          if (!c.categoryField) console.log(`set TWENTY_CATEGORY_FIELD=${field} so the category code travels to Twenty`);
        }
      } finally {
        await client.close();
      }
    });
}

/** `kith contacts setup …`: one subcommand per system that needs preparing. */
export function addContactsSetupCommands(contacts: Command): Command {
  return contacts.addCommand(new Command('setup').description('prepare a contact system for Kith (custom fields)').addCommand(setupTwentyCommand()));
}

import { notionSchema } from '../../config/notion.config.js';
import { type Env, parseEnv } from '../../config/parse-env.js';
import { loadKithConfig, resolveConfigPath } from '../../sync/kith-config.js';
import type { TableMapping } from './tables-config.js';

/** The mapped tables of this deployment's kith.config.yaml (none when it runs on the bundled examples). */
export function loadTableMappings(env: Env = process.env): TableMapping[] {
  const { file, isExample } = resolveConfigPath(env as NodeJS.ProcessEnv);
  return isExample ? [] : loadKithConfig(file).tables;
}

/** NOTION_WEBHOOK_TOKEN alone: the HTTP process checks Notion's signatures without the API token. */
export function loadNotionWebhookToken(env: Env = process.env): string | undefined {
  return parseEnv(notionSchema.pick({ NOTION_WEBHOOK_TOKEN: true }), env, ['NOTION_WEBHOOK_TOKEN']).NOTION_WEBHOOK_TOKEN;
}

import { z } from 'zod';
import { type Env, parseEnv } from '../../config/parse-env.js';
import { loadKithConfig, resolveConfigPath } from '../../sync/kith-config.js';
import type { TableMapping } from './tables-config.js';

/** The mapped tables of this deployment's kith.config.yaml (none when it runs on the bundled examples). */
export function loadTableMappings(env: Env = process.env): TableMapping[] {
  const { file, isExample } = resolveConfigPath(env as NodeJS.ProcessEnv);
  return isExample ? [] : loadKithConfig(file).tables;
}

export const notionWebhookSchema = z.object({
  /** The verification token Notion sent when the subscription was created: it keys the events' signatures. */
  NOTION_WEBHOOK_TOKEN: z.string().min(8, 'must be the verification token Notion sent (kith tables webhook-token)').optional(),
});

export function loadNotionWebhookToken(env: Env = process.env): string | undefined {
  return parseEnv(notionWebhookSchema, env, ['NOTION_WEBHOOK_TOKEN']).NOTION_WEBHOOK_TOKEN;
}

import { join } from 'node:path';
import { z } from 'zod';
import { readAccountFile, writeAccountFile } from '../account-file.js';
import { AuthError } from '../../errors.js';

/** Slack's Web API root (a source entry's `base_url` may name a proxy or a loopback emulator). */
export const SLACK_API_URL = 'https://slack.com/api/';

const storedSlackAccount = z.object({
  token: z.string().min(1),
  team: z.string().optional(),
  team_id: z.string().optional(),
  user: z.string().optional(),
  user_id: z.string().optional(),
  scopes: z.array(z.string()).default([]),
  /** The API root the token was checked against (a proxy's or an emulator's, when not Slack's). */
  api_url: z.string().url().optional(),
  created_at: z.string().optional(),
});
export type StoredSlackAccount = z.infer<typeof storedSlackAccount>;

/** Where `kith auth slack` keeps the token: the data directory, readable by its owner alone. */
export const slackAccountFile = (dataDir: string) => join(dataDir, 'slack-account.json');

export function readSlackAccount(dataDir: string): StoredSlackAccount | undefined {
  return readAccountFile(slackAccountFile(dataDir), storedSlackAccount, 'kith auth slack');
}

export function writeSlackAccount(dataDir: string, account: StoredSlackAccount): string {
  return writeAccountFile(slackAccountFile(dataDir), account);
}

export type SlackCredential = { kind: 'env'; token: string; variable: 'SLACK_TOKEN' } | { kind: 'stored'; token: string; account: StoredSlackAccount };

/**
 * The token the Slack source reads with: SLACK_TOKEN, else the one `kith auth slack` stored.
 * Neither is an AuthError saying what to do. The token never appears in a message or a log.
 */
export function slackCredential(dataDir: string, env: NodeJS.ProcessEnv = process.env): SlackCredential {
  const token = env.SLACK_TOKEN?.trim();
  if (token) return { kind: 'env', token, variable: 'SLACK_TOKEN' };
  const account = readSlackAccount(dataDir);
  if (!account) throw new AuthError('no Slack token: run `kith auth slack` (or set SLACK_TOKEN)', 'slack_no_account');
  return { kind: 'stored', token: account.token, account };
}

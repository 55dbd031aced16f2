import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../config/config-error.js';
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
  const file = slackAccountFile(dataDir);
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(file, `is not valid JSON (${(err as Error).message}); run \`kith auth slack\` again`);
  }
  const r = storedSlackAccount.safeParse(raw);
  if (!r.success) throw new ConfigError(`${file}: ${r.error.issues[0]!.path.join('.') || 'account'}`, `${r.error.issues[0]!.message}; run \`kith auth slack\` again`);
  return r.data;
}

/** Write the account with mode 0600 (created so, then renamed over the old one). */
export function writeSlackAccount(dataDir: string, account: StoredSlackAccount): string {
  const file = slackAccountFile(dataDir);
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(account, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
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

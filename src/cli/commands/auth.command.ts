import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { loadCoreConfig } from '../../config/core.config.js';
import { GOOGLE_READ_SCOPES, readGoogleAccount, type StoredGoogleAccount, writeGoogleAccount } from '../../systems/google/google-account.js';
import { googleCredential } from '../../systems/google/google-auth.js';
import { runInstalledAppFlow } from '../../systems/google/google-oauth-flow.js';
import { readSlackAccount, SLACK_API_URL, slackCredential, writeSlackAccount } from '../../systems/slack/slack-account.js';
import { checkSlackToken } from '../../systems/slack/slack-auth-check.js';
import { CliError } from '../cli-error.js';

/** Client id and secret: GOOGLE_OAUTH_CLIENT_ID/_SECRET, or a downloaded client_secret.json (`installed` or `web`). */
function clientSecret(file: string | undefined, env: NodeJS.ProcessEnv): { clientId: string; clientSecret: string } {
  if (file) {
    let j: { installed?: { client_id?: string; client_secret?: string }; web?: { client_id?: string; client_secret?: string } };
    try {
      j = JSON.parse(readFileSync(resolve(file), 'utf8')) as typeof j;
    } catch (err) {
      throw new CliError(`--client-secret ${file}: cannot read it as JSON (${(err as Error).message})`);
    }
    const c = j.installed ?? j.web;
    if (!c?.client_id || !c.client_secret) throw new CliError(`--client-secret ${file}: no installed.client_id and installed.client_secret in it`);
    return { clientId: c.client_id, clientSecret: c.client_secret };
  }
  if (!env.GOOGLE_OAUTH_CLIENT_ID || !env.GOOGLE_OAUTH_CLIENT_SECRET) {
    throw new CliError('GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET are not set: set them, or give --client-secret <client_secret.json> (an OAuth client of type "Desktop app")');
  }
  return { clientId: env.GOOGLE_OAUTH_CLIENT_ID, clientSecret: env.GOOGLE_OAUTH_CLIENT_SECRET };
}

function googleCommand(): Command {
  return new Command('google')
    .description('authorise Kith to read Gmail, Calendar, Contacts and Drive (OAuth installed-app flow with a loopback redirect), or store a Workspace service account')
    .option('--client-secret <file>', 'client_secret.json of a Desktop-app OAuth client (else GOOGLE_OAUTH_CLIENT_ID/_SECRET)')
    .option('--service-account <key.json>', 'a service account with domain-wide delegation (Workspace) instead of the OAuth flow')
    .option('--subject <user>', 'the user the service account acts for (with --service-account)')
    .action(async (o: { clientSecret?: string; serviceAccount?: string; subject?: string }) => {
      const env = process.env;
      const { dataDir } = loadCoreConfig(env);
      const now = new Date().toISOString();
      let account: StoredGoogleAccount;
      if (o.serviceAccount) {
        if (!o.subject) throw new CliError('--service-account needs --subject <user>: the address it reads for');
        account = { kind: 'service_account', key_file: resolve(o.serviceAccount), subject: o.subject, email: o.subject, scopes: [...GOOGLE_READ_SCOPES], created_at: now };
      } else {
        const c = clientSecret(o.clientSecret, env);
        const got = await runInstalledAppFlow({
          ...c,
          scopes: GOOGLE_READ_SCOPES,
          ...(env.GOOGLE_OAUTH_AUTH_URL ? { authUrl: env.GOOGLE_OAUTH_AUTH_URL } : {}),
          ...(env.GOOGLE_OAUTH_TOKEN_URL ? { tokenUrl: env.GOOGLE_OAUTH_TOKEN_URL } : {}),
          onUrl: (url) => console.log(`Open this URL in a browser and allow access:\n\n  ${url}\n\nWaiting for the answer on the loopback redirect…`),
        });
        account = { kind: 'oauth', client_id: c.clientId, client_secret: c.clientSecret, refresh_token: got.refreshToken, scopes: got.scopes, created_at: now, ...(env.GOOGLE_OAUTH_TOKEN_URL ? { token_url: env.GOOGLE_OAUTH_TOKEN_URL } : {}) };
      }
      const file = writeGoogleAccount(dataDir, account);
      console.log(`Google account stored in ${file} (mode 0600); scopes: ${account.scopes.join(' ')}`);
    });
}

/** The token to store: SLACK_TOKEN, else the first line on standard input (never an argument: shells keep those). */
async function tokenFromInput(env: NodeJS.ProcessEnv): Promise<string> {
  const fromEnv = env.SLACK_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  if (process.stdin.isTTY) process.stderr.write('Paste the Slack token (xoxp-… user token, or xoxb-… bot token) and press Enter: ');
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  const token = text.split(/\r?\n/)[0]!.trim();
  if (!token) throw new CliError('no Slack token: set SLACK_TOKEN, or give the token on standard input (`kith auth slack < token.txt`)');
  return token;
}

function slackCommand(): Command {
  return new Command('slack')
    .description('store a Slack token (from SLACK_TOKEN or standard input) after checking it with auth.test')
    .option('--base-url <url>', 'the Web API root to check it against (a proxy; Slack by default)', SLACK_API_URL)
    .action(async (o: { baseUrl: string }) => {
      const env = process.env;
      const { dataDir } = loadCoreConfig(env);
      const token = await tokenFromInput(env);
      const who = await checkSlackToken(token, o.baseUrl);
      const file = writeSlackAccount(dataDir, { token, ...who, ...(o.baseUrl !== SLACK_API_URL ? { api_url: o.baseUrl } : {}), created_at: new Date().toISOString() });
      console.log(`Slack token of ${who.user ?? who.user_id ?? 'the user'} in ${who.team ?? who.team_id ?? 'the workspace'} stored in ${file} (mode 0600); scopes: ${who.scopes.join(' ') || '(not told)'}`);
    });
}

function statusCommand(): Command {
  return new Command('status')
    .description('show each stored account, its scopes, and whether its token still works')
    .option('--json', 'print one JSON object')
    .action(async (o: { json?: boolean }) => {
      const { dataDir } = loadCoreConfig();
      const rows: { provider: string; kind: string; account: string; scopes: string[]; works: boolean; problem?: string }[] = [];
      const stored = readGoogleAccount(dataDir);
      if (stored || process.env.GOOGLE_ACCESS_TOKEN) {
        const cred = googleCredential(dataDir);
        let works = true;
        let problem: string | undefined;
        try {
          await cred.client.getAccessToken();
        } catch (err) {
          works = false;
          problem = `${(err as Error).message.slice(0, 200)}; run \`kith auth google\``;
        }
        const account = cred.kind === 'access_token' ? 'GOOGLE_ACCESS_TOKEN' : (cred.account.email ?? cred.account.kind);
        rows.push({ provider: 'google', kind: cred.kind, account, scopes: cred.kind === 'access_token' ? [] : cred.account.scopes, works, ...(problem ? { problem } : {}) });
      }
      const slackStored = readSlackAccount(dataDir);
      if (slackStored || process.env.SLACK_TOKEN) {
        const cred = slackCredential(dataDir);
        let works = true;
        let problem: string | undefined;
        let scopes = cred.kind === 'stored' ? cred.account.scopes : [];
        let account = cred.kind === 'env' ? 'SLACK_TOKEN' : `${cred.account.user ?? cred.account.user_id ?? '?'} @ ${cred.account.team ?? cred.account.team_id ?? '?'}`;
        try {
          const who = await checkSlackToken(cred.token, slackStored?.api_url);
          if (who.scopes.length) scopes = who.scopes;
          if (cred.kind === 'env') account = `SLACK_TOKEN (${who.user ?? who.user_id ?? '?'} @ ${who.team ?? who.team_id ?? '?'})`;
        } catch (err) {
          works = false;
          problem = (err as Error).message.slice(0, 200);
        }
        rows.push({ provider: 'slack', kind: cred.kind === 'env' ? 'token (SLACK_TOKEN)' : 'token', account, scopes, works, ...(problem ? { problem } : {}) });
      }
      if (o.json) return console.log(JSON.stringify({ accounts: rows }));
      if (!rows.length) return console.log('no account: run `kith auth google` or `kith auth slack`');
      for (const r of rows) console.log(`${r.provider}  ${r.account} (${r.kind})  ${r.works ? 'token works' : `token does not work: ${r.problem}`}\n  scopes: ${r.scopes.join(' ') || '(those of the token)'}`);
    });
}

/** `kith auth google | slack | status`: the accounts API sources read with. */
export function authCommand(): Command {
  return new Command('auth').description('accounts for the API sources (Google, Slack)').addCommand(googleCommand()).addCommand(slackCommand()).addCommand(statusCommand());
}

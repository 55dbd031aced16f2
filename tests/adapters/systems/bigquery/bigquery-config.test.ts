import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JWT, OAuth2Client, UserRefreshClient } from 'google-auth-library';
import { afterEach, describe, expect, it } from 'vitest';
import { loadBigQueryConfig, requireBigQueryConfig } from '../../../../src/config/bigquery.config.js';
import { ConfigError } from '../../../../src/config/config-error.js';
import { createAuthClient, createBigQueryClient } from '../../../../src/systems/bigquery/bigquery-client.js';
import { createBigQueryContactSystem } from '../../../../src/systems/bigquery/bigquery-contact-system.js';
import { startBigQueryEmulator } from '../../../emulators/bigquery/bigquery-emulator.js';
import { contact } from '../../../support/systems/bigquery/bq-test-kit.js';

const dir = mkdtempSync(join(tmpdir(), 'kith-bq-config-'));
const base = { BIGQUERY_PROJECT_ID: 'kith-test', BIGQUERY_ACCESS_TOKEN: 'tok' };

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('BigQuery config', () => {
  it('is off without BIGQUERY_PROJECT_ID; requireBigQueryConfig names the variable', () => {
    expect(loadBigQueryConfig({})).toBeUndefined();
    expect(configError(() => requireBigQueryConfig({ BIGQUERY_ACCESS_TOKEN: 'tok' })).variable).toBe('BIGQUERY_PROJECT_ID');
    expect(configError(() => loadBigQueryConfig({ ...base, BIGQUERY_PROJECT_ID: 'Bad_Project' })).variable).toBe('BIGQUERY_PROJECT_ID');
  });

  it('defaults to Google and the kith dataset; an access token needs nothing else', () => {
    expect(loadBigQueryConfig(base)).toEqual({
      projectId: 'kith-test',
      datasetId: 'kith',
      apiEndpoint: 'https://bigquery.googleapis.com',
      credentials: { kind: 'access_token', accessToken: 'tok', variable: 'BIGQUERY_ACCESS_TOKEN' },
      maxRetries: 2,
    });
  });

  it('a missing credential is a ConfigError naming the variables, never a metadata-server probe', () => {
    const err = configError(() => loadBigQueryConfig({ BIGQUERY_PROJECT_ID: 'kith-test' }));
    expect(err.variable).toBe('BIGQUERY_ACCESS_TOKEN');
    expect(err.message).toMatch(/BIGQUERY_KEY_FILE \/ GOOGLE_APPLICATION_CREDENTIALS/);
    const missing = configError(() => loadBigQueryConfig({ BIGQUERY_PROJECT_ID: 'kith-test', GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'none.json') }));
    expect(missing.variable).toBe('GOOGLE_APPLICATION_CREDENTIALS');
    expect(missing.message).toMatch(/does not exist/);
  });

  it('validates the endpoint: URL, no path, https unless loopback, no BIGQUERY_EMULATOR_HOST', () => {
    expect(configError(() => loadBigQueryConfig({ ...base, BIGQUERY_API_ENDPOINT: 'not a url' })).variable).toBe('BIGQUERY_API_ENDPOINT');
    expect(configError(() => loadBigQueryConfig({ ...base, BIGQUERY_API_ENDPOINT: 'http://bq.example.com' })).message).toMatch(/plain http/);
    expect(configError(() => loadBigQueryConfig({ ...base, BIGQUERY_API_ENDPOINT: 'http://127.0.0.1:9/bigquery/v2' })).message).toMatch(/without a path/);
    expect(configError(() => loadBigQueryConfig({ ...base, BIGQUERY_EMULATOR_HOST: 'http://127.0.0.1:9' })).variable).toBe('BIGQUERY_EMULATOR_HOST');
    expect(loadBigQueryConfig({ ...base, BIGQUERY_API_ENDPOINT: 'http://127.0.0.1:9050/' })!.apiEndpoint).toBe('http://127.0.0.1:9050');
  });

  it('builds explicit auth clients from a token or a key file', () => {
    const sa = join(dir, 'sa.json');
    writeFileSync(sa, JSON.stringify({ type: 'service_account', client_email: 'kith@p.iam.gserviceaccount.com', private_key: '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n' }));
    const user = join(dir, 'user.json');
    writeFileSync(user, JSON.stringify({ type: 'authorized_user', client_id: 'id', client_secret: 's', refresh_token: 'r' }));
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ type: 'external_account' }));
    const noKey = join(dir, 'nokey.json');
    writeFileSync(noKey, JSON.stringify({ type: 'service_account', client_email: 'x' }));
    const fromFile = (v: string, path: string) => createAuthClient(loadBigQueryConfig({ BIGQUERY_PROJECT_ID: 'kith-test', [v]: path })!.credentials);
    expect(createAuthClient(loadBigQueryConfig(base)!.credentials)).toBeInstanceOf(OAuth2Client);
    expect(fromFile('BIGQUERY_KEY_FILE', sa)).toBeInstanceOf(JWT);
    expect(fromFile('GOOGLE_APPLICATION_CREDENTIALS', user)).toBeInstanceOf(UserRefreshClient);
    expect(configError(() => fromFile('BIGQUERY_KEY_FILE', other)).message).toMatch(/has type 'external_account'/);
    expect(configError(() => fromFile('BIGQUERY_KEY_FILE', noKey)).message).toMatch(/has no 'private_key'/);
  });

  it('reads a key file through the library (fromJSON): every field of it lands in the client, with the BigQuery scope', () => {
    const sa = join(dir, 'sa-full.json');
    writeFileSync(sa, JSON.stringify({ type: 'service_account', project_id: 'kith-test', private_key_id: 'key-1', client_email: 'kith@p.iam.gserviceaccount.com', private_key: 'PEM', quota_project_id: 'billing-1' }));
    const user = join(dir, 'user-full.json');
    writeFileSync(user, JSON.stringify({ type: 'authorized_user', client_id: 'id-1', client_secret: 'secret-1', refresh_token: 'refresh-1', quota_project_id: 'billing-2' }));
    const fromFile = (path: string) => createAuthClient(loadBigQueryConfig({ BIGQUERY_PROJECT_ID: 'kith-test', BIGQUERY_KEY_FILE: path })!.credentials);
    const jwt = fromFile(sa) as JWT;
    expect(jwt).toBeInstanceOf(JWT);
    expect({ email: jwt.email, key: jwt.key, keyId: jwt.keyId, scopes: jwt.scopes, quota: jwt.quotaProjectId }).toEqual({
      email: 'kith@p.iam.gserviceaccount.com',
      key: 'PEM',
      keyId: 'key-1',
      scopes: ['https://www.googleapis.com/auth/bigquery'],
      quota: 'billing-1',
    });
    const refresh = fromFile(user) as UserRefreshClient;
    expect(refresh).toBeInstanceOf(UserRefreshClient);
    expect({ id: refresh._clientId, secret: refresh._clientSecret, token: refresh.credentials.refresh_token, quota: refresh.quotaProjectId }).toEqual({ id: 'id-1', secret: 'secret-1', token: 'refresh-1', quota: 'billing-2' });
    const named = join(dir, 'proto.json');
    writeFileSync(named, JSON.stringify({ type: 'constructor' }));
    expect(configError(() => fromFile(named)).message).toMatch(/has type 'constructor'/);
  });

  it('the client refuses BIGQUERY_EMULATOR_HOST set after config was loaded', () => {
    const config = loadBigQueryConfig(base)!;
    process.env.BIGQUERY_EMULATOR_HOST = 'http://127.0.0.1:1';
    try {
      expect(configError(() => createBigQueryClient(config)).variable).toBe('BIGQUERY_EMULATOR_HOST');
    } finally {
      delete process.env.BIGQUERY_EMULATOR_HOST;
    }
  });
});

describe('nothing leaves the loopback interface', () => {
  const original = net.Socket.prototype.connect;
  afterEach(() => {
    net.Socket.prototype.connect = original;
  });

  it('every connection of a full adapter run goes to the emulator, with the configured token', async () => {
    const hosts: string[] = [];
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
      const opts = (typeof first === 'object' && first !== null ? first : { host: args[1], port: first }) as { host?: string; port?: unknown; path?: string };
      hosts.push(opts.path ?? `${opts.host ?? 'localhost'}:${String(opts.port)}`);
      return (original as (...a: unknown[]) => net.Socket).apply(this, args);
    } as typeof net.Socket.prototype.connect;
    const emu = await startBigQueryEmulator({ token: 'loopback-only' });
    try {
      const config = loadBigQueryConfig({ BIGQUERY_PROJECT_ID: emu.projectId, BIGQUERY_API_ENDPOINT: emu.url, BIGQUERY_ACCESS_TOKEN: 'loopback-only' })!;
      const store = createBigQueryContactSystem(config);
      await store.ensureSchema();
      const c = contact();
      await store.upsertMany([c]);
      await store.listChanged(undefined, 10);
      await store.softDelete([{ contactId: c.contact_id }], new Date().toISOString());
      expect(await store.latestAll({ includeDeleted: true })).toHaveLength(1);
    } finally {
      await emu.stop();
    }
    const port = new URL(emu.url).port;
    expect(hosts.length).toBeGreaterThan(0);
    expect(hosts.filter((h) => h !== `127.0.0.1:${port}`)).toEqual([]);
    expect(emu.requests.length).toBeGreaterThanOrEqual(7);
    expect(emu.requests.every((r) => r.authorization === 'Bearer loopback-only' && r.path.startsWith(`/bigquery/v2/projects/${emu.projectId}/`))).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../src/config/config-error.js';
import { isSupabaseConfigured, loadSupabaseConfig } from '../../../../src/config/supabase.config.js';
import { isTwentyConfigured, loadTwentyConfig } from '../../../../src/config/twenty.config.js';

describe('Twenty and Supabase configuration', () => {
  it('reads Twenty settings with the documented 100/min default', () => {
    expect(loadTwentyConfig({ TWENTY_API_URL: 'http://127.0.0.1:4000/', TWENTY_API_KEY: 'k' })).toEqual({
      apiUrl: 'http://127.0.0.1:4000',
      apiKey: 'k',
      webhookSecret: undefined,
      rateLimit: { limit: 100, windowMs: 60_000 },
    });
    expect(loadTwentyConfig({ TWENTY_API_URL: 'https://crm.example', TWENTY_API_KEY: 'k', TWENTY_RATE_LIMIT_PER_MINUTE: '50' }).rateLimit.limit).toBe(50);
    expect(isTwentyConfigured({})).toBe(false);
    expect(isTwentyConfigured({ TWENTY_API_URL: 'http://x' })).toBe(true);
  });

  it('has no default URL and names the variable when it is missing or not a URL', () => {
    expect(() => loadTwentyConfig({ TWENTY_API_KEY: 'k' })).toThrow(/^TWENTY_API_URL: .*it is not set/);
    expect(() => loadTwentyConfig({ TWENTY_API_URL: 'crm.example', TWENTY_API_KEY: 'k' })).toThrow(ConfigError);
    expect(() => loadTwentyConfig({ TWENTY_API_URL: 'ftp://crm', TWENTY_API_KEY: 'k' })).toThrow(/^TWENTY_API_URL: must be an http/);
    expect(() => loadTwentyConfig({ TWENTY_API_URL: 'http://x', TWENTY_API_KEY: 'k', TWENTY_RATE_LIMIT_PER_MINUTE: '0' })).toThrow(/^TWENTY_RATE_LIMIT_PER_MINUTE: /);
    expect(() => loadTwentyConfig({ TWENTY_API_URL: 'http://x' })).toThrow(/^TWENTY_API_KEY: /);
  });

  it('never echoes a secret', () => {
    let msg = '';
    try {
      loadTwentyConfig({ TWENTY_API_URL: 'http://x', TWENTY_API_KEY: 'k', TWENTY_WEBHOOK_SECRET: 'short' });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^TWENTY_WEBHOOK_SECRET: /);
    expect(msg).not.toContain('short');
  });

  it('reads Supabase settings with the contacts table by default', () => {
    expect(loadSupabaseConfig({ SUPABASE_URL: 'http://127.0.0.1:5000', SUPABASE_KEY: 'service' })).toEqual({
      url: 'http://127.0.0.1:5000',
      key: 'service',
      webhookSecret: undefined,
      table: 'contacts',
    });
    expect(() => loadSupabaseConfig({ SUPABASE_KEY: 'k' })).toThrow(/^SUPABASE_URL: /);
    expect(() => loadSupabaseConfig({ SUPABASE_URL: 'http://x', SUPABASE_KEY: 'k', SUPABASE_CONTACTS_TABLE: 'drop table;' })).toThrow(/^SUPABASE_CONTACTS_TABLE: /);
    expect(isSupabaseConfigured({ SUPABASE_URL: ' ' })).toBe(false);
  });
});

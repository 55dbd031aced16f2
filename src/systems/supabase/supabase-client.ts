import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { WebSocket } from 'undici';
import type { SupabaseConfig } from '../../config/supabase.config.js';
import { pooledFetch } from './supabase-fetch.js';

/**
 * supabase-js for a server process: no session storage or token refresh (a service key, not a
 * user), and undici's WebSocket as the realtime transport because Node 20 has no global one and
 * createClient refuses to start without it. Realtime is never connected by Kith. Requests go
 * through pooledFetch (a connection pool, less CPU per request than Node's fetch).
 */
export function createSupabaseClient(config: Pick<SupabaseConfig, 'url' | 'key'>): SupabaseClient {
  return createClient(config.url, config.key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { fetch: pooledFetch() },
    realtime: { transport: WebSocket as unknown as NonNullable<NonNullable<Parameters<typeof createClient>[2]>['realtime']>['transport'] },
  });
}

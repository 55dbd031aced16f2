import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { WebSocket } from 'undici';
import type { SupabaseConfig } from '../../config/supabase.config.js';

/**
 * supabase-js for a server process: no session storage or token refresh (a service key, not a
 * user), and undici's WebSocket as the realtime transport because Node 20 has no global one and
 * createClient refuses to start without it. Realtime is never connected by Kith.
 */
export function createSupabaseClient(config: Pick<SupabaseConfig, 'url' | 'key'>): SupabaseClient {
  return createClient(config.url, config.key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: WebSocket as unknown as NonNullable<NonNullable<Parameters<typeof createClient>[2]>['realtime']>['transport'] },
  });
}

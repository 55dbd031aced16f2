import { describe, expect, it } from 'vitest';
import { alertText } from '../../../src/hub/services/alerts.service.js';

describe('alert text for a chat webhook', () => {
  it('is one line naming the kind, the subject and the message', () => {
    expect(alertText({ kind: 'sync_failure', subject: 'twenty', message: 'sweep failed 5 times' })).toBe('Kith alert sync_failure (twenty): sweep failed 5 times');
  });

  it('folds a message that spans lines into one', () => {
    expect(alertText({ kind: 'drift', subject: 'supabase', message: 'first line\n  second line\r\nthird' })).toBe('Kith alert drift (supabase): first line second line third');
  });
});

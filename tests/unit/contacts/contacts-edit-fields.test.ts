import { describe, expect, it } from 'vitest';
import { editFields } from '../../../src/cli/commands/contacts-edit.command.js';
import { checkEditFields } from '../../../src/hub/services/local-edit.service.js';

describe('kith contacts edit: the later canonical fields', () => {
  it('takes LinkedIn, tags and the last contact; "" clears them; a bad date is named', () => {
    expect(editFields({ linkedinUrl: 'https://www.linkedin.com/in/ada', tags: 'vip, board', lastContacted: '2026-02-03' })).toEqual({
      linkedin_url: 'https://www.linkedin.com/in/ada',
      tags: ['vip', 'board'],
      last_contacted: '2026-02-03',
    });
    expect(editFields({ linkedinUrl: '', tags: '', lastContacted: '' })).toEqual({ linkedin_url: null, tags: [], last_contacted: null });
    expect(() => checkEditFields(editFields({ lastContacted: 'last Tuesday' }))).toThrow(/^last_contacted: must be a date YYYY-MM-DD/);
  });
});

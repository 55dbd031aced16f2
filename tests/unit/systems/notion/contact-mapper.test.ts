import { describe, expect, it } from 'vitest';
import { defaultOwnershipFor, DEFAULT_FIELD_OWNERSHIP } from '../../../../src/hub/domain/field-ownership.js';
import { fromNotionValues, NOTION_CONTACT_PROPERTIES, notionFieldKeys, notionView, toNotionValues } from '../../../../src/systems/notion/contact.mapper.js';
import { parseContactProperties } from '../../../../src/config/notion.config.js';
import { ConfigError } from '../../../../src/config/config-error.js';
import { contact, ID1 } from '../../../support/contacts/contact-fixtures.js';

describe('Notion contact mapper', () => {
  it('round-trips the fields Notion holds and nothing else', () => {
    const c = contact({ emails: ['a@x.org', 'b@x.org'], phones: ['+14155550123'], notes: 'two\nlines' });
    const values = toNotionValues(c, ID1);
    expect(values).toMatchObject({ Name: 'Ada Lovelace', 'Kith ID': ID1, Emails: 'a@x.org\nb@x.org', Category: 'B', Notes: 'two\nlines' });
    expect(fromNotionValues(values)).toEqual(notionView(c));
    expect(notionView(c)).not.toHaveProperty('llm_context');
    expect(notionView(c)).not.toHaveProperty('first_name');
  });
  it('carries tags as a multi-select and the last contact as a date; LinkedIn only when a property is named', () => {
    const c = contact({ tags: ['vip', ' board ', 'vip'], last_contacted: '2026-02-03', linkedin_url: 'https://www.linkedin.com/in/ada' });
    const values = toNotionValues(c, ID1);
    expect(values).toMatchObject({ Tags: ['vip', 'board'], 'Last contacted': { start: '2026-02-03' } });
    expect(Object.values(values)).not.toContain('https://www.linkedin.com/in/ada');
    expect(notionView(c)).toMatchObject({ tags: ['vip', 'board'], last_contacted: '2026-02-03' });
    expect(notionView(c)).not.toHaveProperty('linkedin_url');
    // A date with a time reads as its day; no date reads as null.
    expect(fromNotionValues({ 'Last contacted': { start: '2026-02-03T09:30:00.000+01:00' } }).last_contacted).toBe('2026-02-03');
    expect(fromNotionValues({ 'Last contacted': null }).last_contacted).toBeNull();

    const props = parseContactProperties('{"company": "Organisation", "tags": "Labels", "linkedin_url": "LinkedIn", "job_title": null}');
    const renamed = toNotionValues(c, ID1, props);
    expect(renamed).toMatchObject({ Organisation: 'Analytical Engines', Labels: ['vip', 'board'], LinkedIn: 'https://www.linkedin.com/in/ada' });
    expect(renamed).not.toHaveProperty('Company');
    expect(renamed).not.toHaveProperty('Job title');
    expect(notionView(c, props)).toMatchObject({ company: 'Analytical Engines', linkedin_url: 'https://www.linkedin.com/in/ada' });
    expect(notionView(c, props)).not.toHaveProperty('job_title');
    expect(notionFieldKeys(props)).not.toContain('job_title');
    expect(notionFieldKeys()).toEqual(['canonical_name', 'emails', 'phones', 'company', 'job_title', 'category_code', 'subcategory_code', 'notes', 'tags', 'last_contacted']);
  });

  it('NOTION_CONTACT_PROPERTIES: defaults when unset, errors naming the field', () => {
    expect(parseContactProperties(undefined)).toBe(NOTION_CONTACT_PROPERTIES);
    const err = (raw: string) => {
      try {
        parseContactProperties(raw);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(err('{"tags": 3}')).toMatch(/^NOTION_CONTACT_PROPERTIES\.tags: /);
    expect(err('{"kith_id": null}')).toMatch(/^NOTION_CONTACT_PROPERTIES\.kith_id: /);
    expect(err('{"labels": "Tags"}')).toMatch(/^NOTION_CONTACT_PROPERTIES: .*labels/);
    expect(err('not json')).toMatch(/^NOTION_CONTACT_PROPERTIES: must be a JSON object/);
    expect(err('{"notes": "Company"}')).toBe("NOTION_CONTACT_PROPERTIES: property 'Company' is named for two fields");
  });

  it('reads an unknown category as none and empty text as null', () => {
    expect(fromNotionValues({ Category: 'Friends', Company: '  ', Name: '' })).toMatchObject({ category_code: null, company: null });
    expect(fromNotionValues({ Name: '' })).not.toHaveProperty('canonical_name');
  });
});

describe('defaultOwnershipFor', () => {
  it('gives the CRM fields to Notion, the job title to Twenty; each takes the other\'s when alone', () => {
    const both = defaultOwnershipFor(['local', 'notion', 'twenty']);
    expect(both).toBe(DEFAULT_FIELD_OWNERSHIP);
    expect([both.company, both.notes, both.category_code, both.subcategory_code, both.tags, both.last_contacted, both.job_title]).toEqual(['notion', 'notion', 'notion', 'notion', 'notion', 'notion', 'twenty']);
    expect([both.emails, both.linkedin_url, both.llm_context]).toEqual(['google', 'google', 'kith']);
    const notion = defaultOwnershipFor(['local', 'notion', 'kith']);
    expect([notion.company, notion.tags, notion.job_title, notion.emails]).toEqual(['notion', 'notion', 'notion', 'google']);
    const twenty = defaultOwnershipFor(['local', 'twenty']);
    expect([twenty.company, twenty.notes, twenty.tags, twenty.last_contacted, twenty.job_title]).toEqual(['twenty', 'twenty', 'twenty', 'twenty', 'twenty']);
  });
});

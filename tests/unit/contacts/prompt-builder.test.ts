import { describe, expect, it } from 'vitest';
import { buildContactContext, buildMultiContactContext, buildPromptWithContact } from '../../../src/hub/domain/contact-prompt-builder.js';
import { contact, ID2 } from '../../support/contacts/contact-fixtures.js';

const rich = contact({
  canonical_name: 'Ada Lovelace',
  first_name: 'Augusta Ada',
  notes: 'Prefers\n letters',
  emails: ['ada@example.org', 'countess@example.org'],
  llm_context: {
    relationship_arc: 'Pen pals turned collaborators',
    communication_style: 'Long letters',
    key_interests: ['mathematics', 'poetry'],
    personality_notes: 'Imaginative',
    important_dates: [{ date: '1815-12-10', event: 'Birthday' }, { date: '1843-09-01', event: 'Notes published', significance: 'first program' }],
    conversation_topics: ['engines'],
    emotional_depth: 7,
    closeness_level: 8,
    how_met: 'At a soirée',
    current_state: 'Writing notes',
    blind_spots: [],
    strengths: ['vision'],
    tensions: ['gambling'],
  },
});

describe('ContactPromptBuilder', () => {
  it('renders every llm_context field in a fixed order', () => {
    expect(buildContactContext(rich)).toBe(
      [
        '## Contact: Ada Lovelace',
        'Full name: Augusta Ada Lovelace',
        'Category: B (Friends), subcategory B1',
        'Company: Analytical Engines',
        'Job title: Mathematician',
        'Emails: ada@example.org, countess@example.org',
        'Phones: +14155550123',
        'Notes: Prefers letters',
        '',
        '### Relationship',
        'How met: At a soirée',
        'Relationship arc: Pen pals turned collaborators',
        'Current state: Writing notes',
        'Levels: closeness 8/10, emotional depth 7/10',
        'Communication style: Long letters',
        'Personality: Imaginative',
        'Key interests: mathematics, poetry',
        'Conversation topics: engines',
        'Strengths: vision',
        'Tensions: gambling',
        'Important dates:',
        '- 1815-12-10: Birthday',
        '- 1843-09-01: Notes published (first program)',
      ].join('\n'),
    );
  });
  it('omits empty values and adds the linked person\'s interactions', () => {
    const bare = contact({ first_name: null, last_name: null, company: null, job_title: null, category_code: null, subcategory_code: null, phones: [], deleted_at: '2026-01-05T12:00:00.000Z' });
    const text = buildContactContext(bare, {
      person: { counts: { email: 12, meeting: 1, call: 0 }, strength: 0.734, firstInteractionAt: '2024-03-01T09:00:00.000Z', lastInteractionAt: '2026-01-02T10:00:00.000Z', sources: ['gmail', 'calendar'] },
      recentInteractions: [
        { at: '2026-01-02T10:00:00.000Z', source: 'gmail', title: 'Re: engines', snippet: 'See the\nattached notes' },
        { at: '2025-12-24T10:00:00.000Z', source: 'calendar', title: null },
      ],
    });
    expect(text).toBe(
      [
        '## Contact: Ada Lovelace',
        '(deleted on 2026-01-05)',
        'Emails: ada@example.org',
        '',
        '### Interactions',
        'Counts: 12 emails, 1 meeting',
        'Relationship strength: 0.73',
        'Interacting since 2024-03-01, last on 2026-01-02',
        'Seen in: gmail, calendar',
        'Recent interactions:',
        '- 2026-01-02 gmail: Re: engines — See the attached notes',
        '- 2025-12-24 calendar',
      ].join('\n'),
    );
  });
  it('prompt = base, blank line, context; multi = count then contacts separated by rules', () => {
    const c = contact({ llm_context: null });
    expect(buildPromptWithContact('  You are talking to a contact.\n', c)).toBe(`You are talking to a contact.\n\n${buildContactContext(c)}`);
    const bob = contact({ contact_id: ID2, canonical_name: 'Bob', first_name: null, last_name: null, company: null, job_title: null, category_code: 'G', subcategory_code: null, emails: [], phones: [] });
    expect(buildMultiContactContext([c, { contact: bob, extras: { person: { counts: {} } } }])).toBe(
      `# 2 contacts\n\n---\n\n${buildContactContext(c)}\n\n---\n\n## Contact: Bob\nCategory: G (Professional/Coworkers)\n\n### Interactions\nCounts: none recorded`,
    );
  });
});

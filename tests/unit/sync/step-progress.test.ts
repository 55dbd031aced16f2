import { describe, expect, it } from 'vitest';
import { formatStepProgress } from '../../../src/sync/step-progress.js';

describe("a step's reported progress", () => {
  it('shows counts, with the estimate and share when the provider gives a total', () => {
    expect(formatStepProgress({ step: 'collect:gmail', stage: 'full', done: 1500, total: 5000 })).toBe('full: 1500 of ~5000 read (30%)');
    expect(formatStepProgress({ stage: 'history', done: 12 })).toBe('history: 12 read');
    expect(formatStepProgress({ done: 7000, total: 5000 })).toBe('7000 of ~5000 read (100%)');
  });

  it('shows nothing for a job that reported none', () => {
    expect(formatStepProgress(0)).toBeUndefined();
    expect(formatStepProgress({ stage: 'x' })).toBeUndefined();
  });
});

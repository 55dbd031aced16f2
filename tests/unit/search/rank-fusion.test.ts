import { describe, expect, it } from 'vitest';
import { reciprocalRankFusion, RRF_K } from '../../../src/search/rank-fusion.js';

describe('reciprocal rank fusion', () => {
  it('sums 1 / (k + rank) over the lists, k = 60, best first', () => {
    expect(RRF_K).toBe(60);
    const fused = reciprocalRankFusion([
      ['a', 'b', 'c'],
      ['c', 'a', 'd'],
    ]);
    expect(fused.map((f) => f.id)).toEqual(['a', 'c', 'b', 'd']);
    expect(fused[0]!.score).toBeCloseTo(1 / 61 + 1 / 62, 12);
    expect(fused[1]!.score).toBeCloseTo(1 / 63 + 1 / 61, 12);
    expect(fused[2]!.score).toBeCloseTo(1 / 62, 12);
    expect(fused[3]!.score).toBeCloseTo(1 / 63, 12);
  });

  it('an item in both lists beats one ranked first in only one', () => {
    expect(reciprocalRankFusion([['x', 'both'], ['y', 'both']])[0]!.id).toBe('both');
  });

  it('counts a repeated id once per list, and fuses empty lists to nothing', () => {
    expect(reciprocalRankFusion([['a', 'a']])).toEqual([{ id: 'a', score: 1 / 61 }]);
    expect(reciprocalRankFusion([[], []])).toEqual([]);
    expect(reciprocalRankFusion([[1, 2]], 0).map((f) => f.score)).toEqual([1, 0.5]);
  });
});

import { describe, expect, it } from 'vitest';
import { foldText, fts5Match, isEmptyQuery, parseQuery, tsQueryText } from '../../../src/search/query-parser.js';

describe('search query parsing', () => {
  it('reads a bag of words, folded, without common words, each once', () => {
    expect(parseQuery('What did Ada and I discuss about the Grant? grant')).toEqual({
      terms: [
        { word: 'ada', prefix: false },
        { word: 'discuss', prefix: false },
        { word: 'grant', prefix: false },
      ],
      phrases: [],
    });
  });

  it('keeps common words when nothing else is left', () => {
    expect(parseQuery('the who').terms.map((t) => t.word)).toEqual(['the', 'who']);
  });

  it('folds diacritics and case as the index does', () => {
    expect(foldText('Zoë MÜLLER André')).toBe('zoe muller andre');
    expect(parseQuery('Zoë').terms).toEqual([{ word: 'zoe', prefix: false }]);
  });

  it('reads quotes as a phrase and word* as a prefix; punctuation separates words', () => {
    expect(parseQuery('"budget sheet" eng* re:intro')).toEqual({
      terms: [
        { word: 'eng', prefix: true },
        { word: 're', prefix: false },
        { word: 'intro', prefix: false },
      ],
      phrases: [['budget', 'sheet']],
    });
    // An unclosed quote runs to the end; a one-word phrase is a word.
    expect(parseQuery('"left hand').phrases).toEqual([['left', 'hand']]);
    expect(parseQuery('"engine"')).toEqual({ terms: [{ word: 'engine', prefix: false }], phrases: [] });
  });

  it('an empty or punctuation-only query is empty', () => {
    expect(isEmptyQuery(parseQuery(''))).toBe(true);
    expect(isEmptyQuery(parseQuery(' ?! "" * '))).toBe(true);
    expect(isEmptyQuery(parseQuery('a'))).toBe(false);
  });

  it('builds an FTS5 expression of quoted terms joined by OR, so no word is FTS5 syntax', () => {
    expect(fts5Match(parseQuery('grant AND NOT "budget sheet" eng* near'))).toBe('"grant" OR "eng"* OR "near" OR "budget sheet"');
    expect(fts5Match(parseQuery('col:umn ^x'))).toBe('"col" OR "umn" OR "x"');
  });

  it('builds a to_tsquery text of terms, prefixes and phrases joined by |', () => {
    expect(tsQueryText(parseQuery('grant "budget sheet" eng* it\'s'))).toBe('grant | eng:* | s | (budget <-> sheet)');
    expect(tsQueryText(parseQuery("o'neil & | ! ( ) :"))).toBe('o | neil');
  });
});

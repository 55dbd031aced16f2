/**
 * A search query as a person types it: a bag of words, any of which may match; `"…"` asks for
 * a phrase; `word*` for a prefix. Common English words are dropped unless nothing else is left,
 * so they never have to occur. Letters are folded (case, diacritics) the way the index folds
 * them. Pure: the engines' query strings are built from the result.
 */
export interface ParsedQuery {
  /** Single words, folded, with `prefix` when typed as `word*`. */
  terms: { word: string; prefix: boolean }[];
  /** Phrases (two words or more), folded. */
  phrases: string[][];
}

const STOP_WORDS = new Set(
  'a about above after again all also am an and any are as at be because been before being between both but by can could did do does doing down during each few for from further had has have having he her here hers him his how i if in into is it its just me more most my no nor not now of off on once only or other our out over own same she should so some such than that the their them then there these they this those through to too under until up very was we were what when where which while who whom why will with would you your yours'.split(
    ' ',
  ),
);

/** Lower case, without diacritics (NFKD, combining marks removed): how the index folds text. */
export function foldText(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
}

const words = (s: string) => foldText(s).match(/[\p{L}\p{N}]+/gu) ?? [];

export function parseQuery(input: string): ParsedQuery {
  const phrases: string[][] = [];
  const terms: { word: string; prefix: boolean }[] = [];
  const rest = input.replace(/"([^"]*)"?/g, (_, inner: string) => {
    const w = words(inner);
    if (w.length > 1) phrases.push(w);
    else if (w.length === 1) terms.push({ word: w[0]!, prefix: false });
    return ' ';
  });
  for (const m of rest.matchAll(/([^\s*]+)(\*?)/g)) {
    const w = words(m[1]!);
    w.forEach((word, i) => terms.push({ word, prefix: m[2] === '*' && i === w.length - 1 }));
  }
  const unique = [...new Map(terms.map((t) => [`${t.word}${t.prefix ? '*' : ''}`, t])).values()];
  const kept = unique.filter((t) => t.prefix || !STOP_WORDS.has(t.word));
  return { terms: kept.length || phrases.length ? kept : unique, phrases };
}

export const isEmptyQuery = (q: ParsedQuery) => q.terms.length === 0 && q.phrases.length === 0;

/** An FTS5 MATCH expression: every term and phrase quoted, joined by OR. */
export function fts5Match(q: ParsedQuery): string {
  const parts = [...q.terms.map((t) => `"${t.word}"${t.prefix ? '*' : ''}`), ...q.phrases.map((p) => `"${p.join(' ')}"`)];
  return parts.join(' OR ');
}

/**
 * A PostgreSQL `to_tsquery` text: terms (`word:*` for a prefix) and phrases (`a <-> b`) joined
 * by `|`. Words are letters and digits only, so nothing in them is tsquery syntax.
 */
export function tsQueryText(q: ParsedQuery): string {
  const parts = [...q.terms.map((t) => (t.prefix ? `${t.word}:*` : t.word)), ...q.phrases.map((p) => `(${p.join(' <-> ')})`)];
  return parts.join(' | ');
}

// The search terms of knowledge entries. Neither engine may use `$text` (FerretDB 1.24 has none), so each entry keeps
// its normalised terms beside it, a multikey index finds the candidates sharing a query's terms, and they are ranked
// here, in memory. Words of scripts written with spaces are terms as they are; Chinese, Japanese and Korean are written
// without spaces, so their text is indexed by single characters and character pairs (bigrams): 打印机卡纸 holds the
// pair 卡纸, which a query 卡纸 asks for.

// Scripts written without spaces between words (Script_Extensions, so the Japanese prolonged sound mark ー counts).
const cjk = String.raw`\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Hangul}`;
const runs = new RegExp(String.raw`[${cjk}]+|[[\p{L}\p{N}\p{M}]--[${cjk}]]+`, 'gv');
const cjkRun = new RegExp(String.raw`^[${cjk}]`, 'v');

// English words too common to tell entries apart; a query of only these finds nothing rather than everything.
const stopWords = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'can', 'do', 'does', 'for', 'from', 'has', 'have', 'in', 'is', 'it',
  'its', 'no', 'not', 'of', 'on', 'or', 'so', 'that', 'the', 'then', 'there', 'this', 'to', 'was', 'were', 'when', 'with',
]);

/** The same text as every term is kept: NFKC (full-width Ａ and ｱ as A and ア), lower case. */
export const normalise = (text: string) => text.normalize('NFKC').toLowerCase().trim();

/** The runs of a text: `{cjk: true}` for a run of CJK characters, otherwise one word. */
function* pieces(text: string): Generator<{ run: string; cjk: boolean }> {
  for (const [run] of normalise(text).matchAll(runs)) yield { run, cjk: cjkRun.test(run) };
}

const keepWord = (word: string) => !stopWords.has(word) && (word.length > 1 || /^\p{N}$/u.test(word));

/** Every pair of neighbouring characters of a CJK run. */
function bigrams(run: string): string[] {
  const chars = [...run];
  return chars.slice(1).map((c, i) => chars[i] + c);
}

/** The terms an entry's text is indexed by: its words, and each CJK character and pair of neighbouring characters. */
export function indexTerms(text: string): string[] {
  const terms = new Set<string>();
  for (const { run, cjk } of pieces(text)) {
    if (!cjk) {
      if (keepWord(run)) terms.add(run);
      continue;
    }
    for (const c of run) terms.add(c);
    for (const pair of bigrams(run)) terms.add(pair);
  }
  return [...terms];
}

/**
 * The terms a query asks for: its words, and the character pairs of its CJK runs (a single character alone only when
 * the run is one character long, since one character such as 卡 is in too many entries to tell them apart).
 */
export function queryTerms(text: string, max = 64): string[] {
  const terms = new Set<string>();
  for (const { run, cjk } of pieces(text)) {
    if (!cjk) {
      if (keepWord(run)) terms.add(run);
    } else if ([...run].length === 1) terms.add(run);
    else for (const pair of bigrams(run)) terms.add(pair);
    if (terms.size >= max) break;
  }
  return [...terms].slice(0, max);
}

/** How much a query term found in each part of an entry counts: the problem and its symptoms above the solution above the labels. */
export const fieldWeights = { problem: 3, symptoms: 3, solution: 2, labels: 1 } as const;

export type Searchable = { problem: string; symptoms?: string | null; solution: string; product?: string | null; category: string; tags?: string[] | null };

const labelsOf = (entry: Searchable) => [entry.product ?? '', entry.category, ...(entry.tags ?? [])].join(' ');

/** The terms an entry is stored with, the problem's first, bounded so that a long text keeps the entry small. */
export function entryTerms(entry: Searchable, max = 2000): string[] {
  const all = new Set([entry.problem, entry.symptoms ?? '', labelsOf(entry), entry.solution].flatMap(indexTerms));
  return [...all].slice(0, max);
}

/** The entry's score for the query's terms: each term found counts the weight of the best part it is found in. */
export function scoreOf(entry: Searchable, terms: readonly string[]): number {
  if (!terms.length) return 0;
  const parts = (['problem', 'symptoms', 'solution', 'labels'] as const).map((field) => ({
    weight: fieldWeights[field],
    terms: new Set(indexTerms(field === 'labels' ? labelsOf(entry) : (entry[field] ?? ''))),
  }));
  return terms.reduce((score, term) => score + Math.max(0, ...parts.filter((p) => p.terms.has(term)).map((p) => p.weight)), 0);
}

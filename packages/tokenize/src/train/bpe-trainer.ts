// The BPE merge-learning loop behind both WordPiece and byte-level BPE training: a faithful port
// of the Rust `tokenizers` BpeTrainer (same pair counts, queue order and tie-breaks).
import { TokenizeError } from '../errors.js';

export interface BpeTrainConfig {
  /** Stop once the vocabulary (special tokens + alphabet + merged tokens) reaches this size. */
  vocabSize: number;
  /** Stop when the most frequent pair occurs fewer times than this. */
  minFrequency: number;
  /** Placed first in the vocabulary, in this order (ids 0, 1, …). */
  specialTokens: readonly string[];
  /** Characters always in the alphabet, seen in the corpus or not (the 256 byte symbols for byte-level BPE). */
  initialAlphabet: readonly string[];
  /** Keep only the most frequent characters (initial alphabet first). */
  limitAlphabet: number | undefined;
  /** Prefix marking a token that continues a word (`##` for WordPiece). */
  continuingSubwordPrefix: string | undefined;
}

export interface BpeTrainResult {
  /** Tokens by id. */
  vocab: string[];
  /** Learned merges in rank order, as token pairs. */
  merges: Array<[string, string]>;
  /** Special tokens + alphabet (+ continuation forms): the part of the vocabulary not learned by merging. */
  baseSize: number;
  /** Characters in the alphabet. */
  alphabetSize: number;
}

/** Pair ids packed into one safe integer; ordering the keys orders the pairs lexicographically. */
const SHIFT = 2 ** 26;

interface QueueEntry {
  pair: number;
  count: number;
  pos: Set<number>;
}

/** Max-heap on count, then the smaller pair first: the Rust trainer's `Merge` ordering. */
class MergeQueue {
  private readonly items: QueueEntry[] = [];

  get size(): number {
    return this.items.length;
  }

  private before(a: QueueEntry, b: QueueEntry): boolean {
    return a.count !== b.count ? a.count > b.count : a.pair < b.pair;
  }

  push(entry: QueueEntry): void {
    const items = this.items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as QueueEntry;
      if (!this.before(entry, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = entry;
  }

  pop(): QueueEntry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let i = 0;
    const n = items.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && this.before(items[right] as QueueEntry, items[left] as QueueEntry)) {
        child = right;
      }
      const c = items[child] as QueueEntry;
      if (!this.before(c, last)) break;
      items[i] = c;
      i = child;
    }
    items[i] = last;
    return top;
  }
}

/**
 * Merges every occurrence of (c1, c2) in `symbols`, left to right, and records the pair-count
 * changes around each merge, exactly as the Rust `Word::merge` does (the merged pair itself is
 * not decremented there either, so counts stay comparable with the reference).
 */
function mergeWord(
  symbols: number[],
  c1: number,
  c2: number,
  replacement: number,
  changedPairs: number[],
  changedDeltas: number[],
): void {
  let i = 0;
  while (i < symbols.length) {
    if (symbols[i] === c1 && i + 1 < symbols.length && symbols[i + 1] === c2) {
      if (i > 0) {
        const before = symbols[i - 1] as number;
        changedPairs.push(before * SHIFT + c1, before * SHIFT + replacement);
        changedDeltas.push(-1, 1);
      }
      symbols.splice(i, 2, replacement);
      if (i < symbols.length - 1) {
        const after = symbols[i + 1] as number;
        changedPairs.push(c2 * SHIFT + after, replacement * SHIFT + after);
        changedDeltas.push(-1, 1);
      }
    }
    i++;
  }
}

/** The alphabet: every character seen (weighted by word counts) plus the initial alphabet, limited and sorted by code point. */
function computeAlphabet(
  wordCounts: ReadonlyMap<string, number>,
  initialAlphabet: readonly string[],
  limit: number | undefined,
): string[] {
  const counts = new Map<string, number>();
  for (const [word, count] of wordCounts) {
    for (const c of word) counts.set(c, (counts.get(c) ?? 0) + count);
  }
  for (const c of initialAlphabet) counts.set(c, Number.POSITIVE_INFINITY);
  let kept = [...counts.keys()];
  if (limit !== undefined && kept.length > limit) {
    // Most frequent first; ties by code point so the cut is reproducible.
    kept.sort(
      (a, b) =>
        (counts.get(b) as number) - (counts.get(a) as number) ||
        (a.codePointAt(0) as number) - (b.codePointAt(0) as number),
    );
    kept = kept.slice(0, limit);
  }
  return kept.sort((a, b) => (a.codePointAt(0) as number) - (b.codePointAt(0) as number));
}

/** Learns BPE merges from word counts. Words are iterated in map order, which fixes continuation-token ids. */
export function trainBpe(
  wordCounts: ReadonlyMap<string, number>,
  config: BpeTrainConfig,
): BpeTrainResult {
  const { vocabSize, minFrequency, continuingSubwordPrefix: prefix } = config;
  const idToWord: string[] = [];
  const wordToId = new Map<string, number>();
  const addToken = (token: string): number => {
    let id = wordToId.get(token);
    if (id === undefined) {
      id = idToWord.length;
      idToWord.push(token);
      wordToId.set(token, id);
    }
    return id;
  };

  for (const token of config.specialTokens) addToken(token);
  const alphabet = computeAlphabet(wordCounts, config.initialAlphabet, config.limitAlphabet);
  for (const c of alphabet) addToken(c);

  // Words as symbol-id sequences; characters outside a limited alphabet are dropped.
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [word, count] of wordCounts) {
    const symbols: number[] = [];
    let first = true;
    for (const c of word) {
      if (wordToId.has(c)) {
        symbols.push(addToken(!first && prefix !== undefined ? prefix + c : c));
      }
      first = false;
    }
    words.push(symbols);
    counts.push(count);
  }
  const baseSize = idToWord.length;
  if (baseSize > vocabSize) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `vocabSize ${vocabSize} is smaller than the ${baseSize} tokens every vocabulary of this corpus needs ` +
        `(${config.specialTokens.length} special tokens + ${alphabet.length} characters` +
        `${baseSize - config.specialTokens.length - alphabet.length > 0 ? ` + ${baseSize - config.specialTokens.length - alphabet.length} word-continuation forms` : ''}); ` +
        `raise vocabSize to at least ${baseSize}${config.initialAlphabet.length === 0 ? ' or set limitAlphabet to keep fewer characters' : ''}.`,
      { field: 'vocabSize' },
    );
  }

  const pairCounts = new Map<number, number>();
  let whereToUpdate = new Map<number, Set<number>>();
  for (let w = 0; w < words.length; w++) {
    const symbols = words[w] as number[];
    const count = counts[w] as number;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const pair = (symbols[i] as number) * SHIFT + (symbols[i + 1] as number);
      pairCounts.set(pair, (pairCounts.get(pair) ?? 0) + count);
      let pos = whereToUpdate.get(pair);
      if (pos === undefined) {
        pos = new Set();
        whereToUpdate.set(pair, pos);
      }
      pos.add(w);
    }
  }
  const queue = new MergeQueue();
  const flush = (): void => {
    for (const [pair, pos] of whereToUpdate) {
      const count = pairCounts.get(pair) as number;
      if (count > 0) queue.push({ pair, count, pos });
    }
    whereToUpdate = new Map();
  };
  flush();

  const mergePairs: number[] = [];
  const changedPairs: number[] = [];
  const changedDeltas: number[] = [];
  while (wordToId.size < vocabSize) {
    const top = queue.pop();
    if (top === undefined) break;
    const current = pairCounts.get(top.pair) as number;
    if (top.count !== current) {
      top.count = current;
      queue.push(top);
      continue;
    }
    if (top.count < 1 || minFrequency > top.count) break;

    const a = Math.floor(top.pair / SHIFT);
    const b = top.pair % SHIFT;
    let partB = idToWord[b] as string;
    if (prefix !== undefined && partB.startsWith(prefix)) partB = partB.slice(prefix.length);
    const newId = addToken((idToWord[a] as string) + partB);
    mergePairs.push(top.pair);

    changedPairs.length = 0;
    changedDeltas.length = 0;
    const owners: number[] = [];
    for (const w of top.pos) {
      const start = changedPairs.length;
      mergeWord(words[w] as number[], a, b, newId, changedPairs, changedDeltas);
      for (let k = start; k < changedPairs.length; k++) owners.push(w);
    }
    for (let k = 0; k < changedPairs.length; k++) {
      const pair = changedPairs[k] as number;
      const delta = changedDeltas[k] as number;
      const w = owners[k] as number;
      pairCounts.set(pair, (pairCounts.get(pair) ?? 0) + delta * (counts[w] as number));
      if (delta > 0) {
        let pos = whereToUpdate.get(pair);
        if (pos === undefined) {
          pos = new Set();
          whereToUpdate.set(pair, pos);
        }
        pos.add(w);
      }
    }
    flush();
  }

  // A pair can be learned twice (the Rust trainer has the same quirk); its later rank wins when
  // the model is built, so keep only the last occurrence, as a Rust-trained tokenizer.json does.
  const lastRank = new Map<number, number>();
  for (let rank = 0; rank < mergePairs.length; rank++)
    lastRank.set(mergePairs[rank] as number, rank);
  const merges: Array<[string, string]> = [];
  for (let rank = 0; rank < mergePairs.length; rank++) {
    const pair = mergePairs[rank] as number;
    if (lastRank.get(pair) !== rank) continue;
    merges.push([idToWord[Math.floor(pair / SHIFT)] as string, idToWord[pair % SHIFT] as string]);
  }
  return { vocab: idToWord, merges, baseSize, alphabetSize: alphabet.length };
}

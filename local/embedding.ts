// The local platform's text embedding for `memory`, used when no embedding model is configured:
// deterministic, offline, no model download. A hashed bag of normalised words (lowercase, accents
// folded, stopwords removed, Porter2 stems) plus character trigrams of each word, folded
// into a fixed-size vector of 65 536 dimensions and L2-normalised, so cosine similarity is a plain
// dot product. A text fills a few dozen of those dimensions, so the vector is kept sparse: the
// large size makes it rare for two different words to land in the same dimension.
//
// What it captures: shared words and word forms ("prefers", "preferred", "preference" → "prefer"),
// and spelling variants through the trigrams ("favourite" ~ "favorite"). What it does not: synonyms
// or paraphrase ("car" and "automobile" have nothing in common here). Real semantics come from a
// configured embedding model (the gateway's `embed`).
import porter2 from "wink-porter2-stemmer";
import type { SparseVector } from "./similarity.js";

/** Names this embedding; stored with each memory, so a later version re-embeds old rows instead of comparing unlike vectors. */
export const LOCAL_EMBEDDING_MODEL = "flow-local-hash-v2";

/** Length of every local embedding (as a dense vector); an index fits in 16 bits. */
export const LOCAL_EMBEDDING_DIMENSIONS = 65_536;

// Words weigh 1 each (1 + ln(tf) when repeated); a word's trigrams share this much weight among
// them, so a shared word counts for far more than a few shared letters.
const NGRAM_WEIGHT = 0.5;
const NGRAM = 3;

// Common English function words: they would make every question look like every other.
const STOPWORDS = new Set(
  (
    "a about above after again against all am an and any are as at be because been before being below between both but by " +
    "can could did do does doing done down during each few for from further had has have having he her here hers herself him " +
    "himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other " +
    "our ours ourselves out over own same she should so some such than that the their theirs them themselves then there these " +
    "they this those through to too under until up very was we were what when where which while who whom why will with would " +
    "you your yours yourself yourselves shall may might must also s t"
  ).split(" "),
);

/** Lowercases, folds accents and drops possessive 's, so "Café's" and "cafe" read alike. */
export function normalise(text: string): string {
  return text.normalize("NFKD").replace(/\p{M}+/gu, "").toLowerCase().replace(/['’]s\b/g, "");
}

/** The words of `text` as they are compared: normalised, without stopwords (kept when that would leave none), not yet stemmed. */
export function words(text: string): string[] {
  const all = normalise(text).match(/[\p{L}\p{N}]+/gu) ?? [];
  const content = all.filter((word) => !STOPWORDS.has(word));
  return content.length > 0 ? content : all;
}

/**
 * The English Porter2 (Snowball) stem of a lowercase word, from `wink-porter2-stemmer`: "prefers",
 * "preferred", "preference" and "prefer" all give "prefer". Numbers and tokens with digits pass
 * unchanged. Changing the stemmer changes every embedding: it needs a new {@link LOCAL_EMBEDDING_MODEL}.
 */
export function stem(word: string): string {
  return /^\p{L}+$/u.test(word) ? porter2(word) : word;
}

/** The stems of `text`'s words: what two texts must share to be similar. */
export function terms(text: string): string[] {
  return words(text).map(stem);
}

/**
 * The embedding of `text`: a sparse vector of {@link LOCAL_EMBEDDING_DIMENSIONS} dimensions,
 * non-negative, with an L2 norm of 1 (empty for text without a letter or digit). The same text
 * always gives the same vector, on every machine.
 */
export function embedText(text: string): SparseVector {
  const vector = new Map<number, number>();
  const counts = new Map<string, number>();
  for (const word of words(text)) {
    const s = stem(word);
    counts.set(`w:${s}`, (counts.get(`w:${s}`) ?? 0) + 1);
    const grams = trigrams(word);
    for (const gram of grams) counts.set(`g:${gram}`, (counts.get(`g:${gram}`) ?? 0) + NGRAM_WEIGHT / grams.length);
  }
  for (const [feature, count] of counts) {
    if (feature.startsWith("w:")) {
      // A word goes to two slots with half its weight (squared) in each: when it collides with
      // another word in one slot, the two texts share only half a word, not a whole one.
      const weight = (1 + Math.log(count)) * Math.SQRT1_2;
      add(vector, slotOf(feature, 1), weight);
      add(vector, slotOf(feature, 2), weight);
    } else {
      add(vector, slotOf(feature, 0), count);
    }
  }
  const indices = [...vector.keys()].sort((a, b) => a - b);
  const length = Math.sqrt(indices.reduce((sum, i) => sum + (vector.get(i) ?? 0) ** 2, 0));
  return { indices, values: indices.map((i) => (vector.get(i) ?? 0) / length) };
}

// The trigrams of a word with boundary marks: "mode" → "<mo", "mod", "ode", "de>".
function trigrams(word: string): string[] {
  const padded = `<${word}>`;
  if (padded.length <= NGRAM) return [padded];
  const grams: string[] = [];
  for (let i = 0; i + NGRAM <= padded.length; i++) grams.push(padded.slice(i, i + NGRAM));
  return grams;
}

function add(vector: Map<number, number>, slot: number, weight: number): void {
  vector.set(slot, (vector.get(slot) ?? 0) + weight);
}

// FNV-1a over the UTF-16 code units of `seed` and `feature`, then murmur3's finaliser: FNV's low
// bits alone depend only on the low bits of its state, and the slot is taken from the low bits.
// Tiny, fast and the same everywhere.
function slotOf(feature: string, seed: number): number {
  let hash = Math.imul(0x811c9dc5 ^ seed, 0x01000193);
  for (let i = 0; i < feature.length; i++) {
    hash ^= feature.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) % LOCAL_EMBEDDING_DIMENSIONS;
}

// Exact similarity search for the local platform, shared by the vector and memory stores:
// vectors as compact BLOBs (dense, and sparse for memory's text embeddings), the three metrics,
// and a top-k selection with a fixed tie-break.
import type { VectorMetric } from "../src/namespaces/vector.js";

/** A vector as stored: the float64 values in the machine's byte order (little-endian on every platform Node ships for). */
export function encodeVector(values: ArrayLike<number>): Buffer {
  const array = Float64Array.from(values);
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

/** The values of a BLOB made by {@link encodeVector}. */
export function decodeVector(blob: Uint8Array): Float64Array {
  // SQLite hands back a Buffer that need not be 8-byte aligned, so the bytes are copied once.
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float64Array(copy.buffer);
}

/** A vector most of whose components are 0: the others, by ascending index. */
export interface SparseVector {
  /** Indices of the non-zero components, ascending, each once. */
  indices: number[];
  /** Their values, in the same order. */
  values: number[];
}

const SPARSE_ENTRY = 10; // a uint16 index and a float64 value, little-endian

/** A sparse vector as stored: 10 bytes per non-zero component (indices below 65 536). */
export function encodeSparse(vector: SparseVector): Buffer {
  const buffer = Buffer.alloc(vector.indices.length * SPARSE_ENTRY);
  for (let i = 0; i < vector.indices.length; i++) {
    buffer.writeUInt16LE(vector.indices[i] as number, i * SPARSE_ENTRY);
    buffer.writeDoubleLE(vector.values[i] as number, i * SPARSE_ENTRY + 2);
  }
  return buffer;
}

/** The vector of a BLOB made by {@link encodeSparse}. */
export function decodeSparse(blob: Buffer): SparseVector {
  const indices: number[] = [];
  const values: number[] = [];
  for (let at = 0; at + SPARSE_ENTRY <= blob.length; at += SPARSE_ENTRY) {
    indices.push(blob.readUInt16LE(at));
    values.push(blob.readDoubleLE(at + 2));
  }
  return { indices, values };
}

/** The dot product of two sparse vectors: a merge over their sorted indices. */
export function sparseDot(a: SparseVector, b: SparseVector): number {
  let sum = 0;
  let i = 0;
  let j = 0;
  while (i < a.indices.length && j < b.indices.length) {
    const x = a.indices[i] as number;
    const y = b.indices[j] as number;
    if (x === y) sum += (a.values[i++] as number) * (b.values[j++] as number);
    else if (x < y) i++;
    else j++;
  }
  return sum;
}

/** The dot product of two vectors of the same length. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

/** The Euclidean (L2) length of a vector. */
export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/**
 * The Euclidean distance between two vectors of the same length. Two vectors whose own lengths
 * are finite can still be so far apart that the sum of squares overflows; the sum is then taken
 * again scaled by the largest difference, so the distance stays finite whenever it fits a float64.
 */
export function euclideanDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    sum += d * d;
  }
  if (Number.isFinite(sum)) return Math.sqrt(sum);
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs((a[i] as number) / 2 - (b[i] as number) / 2));
  let scaled = 0;
  for (let i = 0; i < a.length; i++) {
    const d = ((a[i] as number) / 2 - (b[i] as number) / 2) / scale;
    scaled += d * d;
  }
  return 2 * scale * Math.sqrt(scaled);
}

/**
 * A scorer for `metric` against a fixed query, where a higher score is always closer:
 * cosine similarity (clamped to −1…1), the dot product, or the negated Euclidean distance (≤ 0, 0 = same point).
 * Cosine needs non-zero vectors (a zero one scores 0); the stores refuse them in cosine collections.
 */
export function scorer(metric: VectorMetric, query: ArrayLike<number>): (candidate: ArrayLike<number>) => number {
  switch (metric) {
    case "dot":
      return (candidate) => dot(query, candidate);
    case "euclidean":
      return (candidate) => 0 - euclideanDistance(query, candidate); // 0 - x, not -x: the same point scores 0, not -0
    case "cosine": {
      const unitQuery = unitVector(query);
      return (candidate) => {
        const length = norm(candidate);
        // A length far from 1 is measured again on the vector scaled first (its squares could
        // have lost their precision in subnormals); rounding can carry the quotient just past ±1.
        const cosine = length > 1e-100 && length < 1e100 ? dot(unitQuery, candidate) / length : dot(unitQuery, unitVector(candidate));
        return Math.max(-1, Math.min(1, cosine));
      };
    }
  }
}

/**
 * `v` scaled to length 1, divided by its largest magnitude first so that neither tiny (subnormal
 * squares) nor huge (overflowing squares) components lose its direction; all zeros for a zero vector.
 */
export function unitVector(v: ArrayLike<number>): Float64Array {
  let largest = 0;
  for (let i = 0; i < v.length; i++) largest = Math.max(largest, Math.abs(v[i] as number));
  const unit = new Float64Array(v.length);
  if (largest === 0) return unit;
  for (let i = 0; i < v.length; i++) unit[i] = (v[i] as number) / largest;
  const length = norm(unit);
  for (let i = 0; i < v.length; i++) unit[i] = (unit[i] as number) / length;
  return unit;
}

/** A scored candidate. */
export interface Scored<T> {
  /** Its id, the tie-break: equal scores come in ascending id order. */
  id: string;
  /** Higher is closer. */
  score: number;
  /** What the caller keeps with it. */
  item: T;
}

/** True when `a` ranks before `b`: higher score first, then smaller id (by UTF-16 code units). */
export function ranksBefore(a: { id: string; score: number }, b: { id: string; score: number }): boolean {
  return a.score > b.score || (a.score === b.score && a.id < b.id);
}

/**
 * Keeps the best `k` of a stream of candidates, best first, in O(n·k) at worst and O(n) when
 * most candidates do not make the cut; memory stays at k items however many are offered.
 */
export class TopK<T> {
  readonly #best: Array<Scored<T>> = [];

  /** Collects at most `k` candidates. */
  constructor(private readonly k: number) {}

  /** Offers one candidate. */
  offer(candidate: Scored<T>): void {
    const best = this.#best;
    const last = best[best.length - 1];
    if (best.length >= this.k && last !== undefined && !ranksBefore(candidate, last)) return;
    let at = best.length;
    while (at > 0 && ranksBefore(candidate, best[at - 1] as Scored<T>)) at--;
    best.splice(at, 0, candidate);
    if (best.length > this.k) best.pop();
  }

  /** The kept candidates, best first. */
  result(): Array<Scored<T>> {
    return [...this.#best];
  }
}

import { describe, expect, it } from "vitest";
import { decodeVector, encodeVector, euclideanDistance, scorer, TopK } from "../../local/similarity.js";

describe("similarity helpers", () => {
  it("a vector BLOB round-trips exactly, also from an unaligned buffer", () => {
    const values = [0.1, 1 / 3, -2.5e-300, 1e300, 0];
    const blob = encodeVector(values);
    expect(blob.byteLength).toBe(values.length * 8);
    const unaligned = Buffer.concat([Buffer.from([7]), blob]).subarray(1);
    expect(Array.from(decodeVector(unaligned))).toEqual(values);
  });

  it("TopK keeps the k best, best first, equal scores by ascending id, whatever the order offered", () => {
    const candidates = [
      { id: "d", score: 0.5 },
      { id: "a", score: 0.9 },
      { id: "c", score: 0.5 },
      { id: "e", score: 0.1 },
      { id: "b", score: 0.5 },
    ];
    for (const order of [candidates, [...candidates].reverse()]) {
      const top = new TopK<null>(3);
      for (const c of order) top.offer({ ...c, item: null });
      expect(top.result().map((r) => r.id)).toEqual(["a", "b", "c"]);
    }
  });

  it("every metric scores higher for the closer vector", () => {
    const query = [1, 0];
    for (const metric of ["cosine", "dot", "euclidean"] as const) {
      const score = scorer(metric, query);
      expect(score([0.9, 0.1])).toBeGreaterThan(score([-1, 0.2]));
    }
    expect(scorer("cosine", [1, 0])([5, 0])).toBeCloseTo(1, 15);
    expect(scorer("dot", [2, 3])([4, 5])).toBe(23);
    expect(scorer("euclidean", [0, 0])([3, 4])).toBe(-5);
  });

  it("the Euclidean distance stays finite when the squared differences overflow but the distance does not", () => {
    // Each vector's own squared length (1e308) fits a float64; the squared distance (4e308) does not.
    expect(euclideanDistance([1e154], [-1e154])).toBeCloseTo(2e154, -140);
    expect(euclideanDistance([3e153, 0], [0, -4e153]) / 5e153).toBeCloseTo(1, 12);
    expect(euclideanDistance([1, 2], [4, 6])).toBe(5);
  });

  it("cosine keeps the direction of vectors with subnormal or huge lengths, and stays within -1 and 1", () => {
    const reference = (a: number[], b: number[]): number => {
      const d = a.reduce((sum, x, i) => sum + x * (b[i] as number), 0);
      return d / (Math.hypot(...a) * Math.hypot(...b));
    };
    // The same directions as [3, 3], [2, 3], [1, 0], [1, 1] and [-3, -1], at very different scales.
    const cases: Array<[number[], number[], number[], number[]]> = [
      [[3e-162, 3e-162], [2e-162, 3e-162], [3, 3], [2, 3]],
      [[1e-300, 0], [1e-300, 1e-300], [1, 0], [1, 1]],
      [[3e-162, 3e-162], [-3e150, -1e150], [3, 3], [-3, -1]],
    ];
    for (const [query, candidate, plainQuery, plainCandidate] of cases) {
      expect(scorer("cosine", query)(candidate)).toBeCloseTo(reference(plainQuery, plainCandidate), 12);
    }
    for (const v of [[1, 1e-10], [0.1, 0.2, 0.3], [3e-162, 3e-162]]) {
      const score = scorer("cosine", v)(v);
      expect(score).toBeLessThanOrEqual(1);
      expect(score).toBeCloseTo(1, 12);
    }
  });
});

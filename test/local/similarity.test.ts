import { describe, expect, it } from "vitest";
import { decodeVector, encodeVector, scorer, TopK } from "../../local/similarity.js";

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
});

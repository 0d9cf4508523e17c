import { describe, expect, it } from "vitest";
import { embedText, LOCAL_EMBEDDING_DIMENSIONS, LOCAL_EMBEDDING_MODEL, normalise, stem, terms, words } from "../../local/embedding.js";
import { openDatabase } from "../../local/db.js";
import { decodeSparse, encodeSparse, sparseDot } from "../../local/similarity.js";
import { MemoryStore } from "../../local/store/memory.js";

const similarity = (a: string, b: string): number => sparseDot(embedText(a), embedText(b));
const length = (values: number[]): number => Math.sqrt(values.reduce((sum, v) => sum + v * v, 0));

describe("local text embedding", () => {
  it("is deterministic: the same text always gives the same vector", () => {
    const a = embedText("The user prefers dark mode in the editor");
    expect(embedText("The user prefers dark mode in the editor")).toEqual(a);
    expect(a.indices.length).toBeGreaterThan(10);
  });

  it("is sparse: ascending unique indices inside the dimensions, one value each", () => {
    const { indices, values } = embedText("The office is closed on public holidays");
    expect(values).toHaveLength(indices.length);
    for (let i = 1; i < indices.length; i++) expect(indices[i]).toBeGreaterThan(indices[i - 1] as number);
    for (const index of indices) expect(index >= 0 && index < LOCAL_EMBEDDING_DIMENSIONS && Number.isInteger(index)).toBe(true);
  });

  it("has unit length and no negative component, so cosine similarity is a dot product in [0, 1]", () => {
    for (const text of ["hello", "The office is closed on public holidays", "42 is the answer!"]) {
      const { values } = embedText(text);
      expect(length(values)).toBeCloseTo(1, 12);
      expect(values.every((x) => x > 0)).toBe(true);
    }
  });

  it("survives its BLOB encoding exactly", () => {
    const vector = embedText("Invoices are sent at the end of each month");
    expect(decodeSparse(encodeSparse(vector))).toEqual(vector);
  });

  it("is empty for text without a letter or digit", () => {
    expect(embedText("?!  ...")).toEqual({ indices: [], values: [] });
    expect(similarity("?!", "anything")).toBe(0);
  });

  it("ignores case, punctuation, accents, possessives, word order and stopwords", () => {
    expect(similarity("The user's Café, in PARIS!", "paris cafe user")).toBeCloseTo(1, 12);
    expect(terms("Which editor mode does the user prefer?")).toEqual(["editor", "mode", "user", "prefer"]);
  });

  it("keeps stopwords when the text has nothing else, so it still embeds", () => {
    expect(words("Which one is it?")).toEqual(["one"]);
    expect(words("What is it?")).toEqual(["what", "is", "it"]);
  });

  it.each([
    [["prefer", "prefers", "preferred", "preference"], "prefer"],
    [["deploy", "deploys", "deployed", "deploying", "deployment"], "deploy"],
    [["invoice", "invoices", "invoiced"], "invoic"],
    [["policy", "policies"], "polici"],
    [["run", "running", "runs"], "run"],
    [["close", "closed", "closes", "closing"], "close"],
    [["agree", "agreed", "agreeing"], "agre"],
  ])("stems %j to %j", (forms, expected) => {
    for (const form of forms) expect(stem(form)).toBe(expected);
  });

  it("leaves short words, numbers and mixed tokens alone", () => {
    expect(stem("bus")).toBe("bus");
    expect(stem("2024")).toBe("2024");
    expect(stem("v2s")).toBe("v2s");
    expect(stem("class")).toBe("class");
  });

  it("scores shared words and word forms high, unrelated text near zero", () => {
    const query = "which editor mode does the user prefer?";
    expect(similarity(query, "The user prefers dark mode in the editor")).toBeGreaterThan(0.6);
    expect(similarity(query, "Invoices are sent at the end of each month")).toBeLessThan(0.05);
    expect(similarity("when do we deploy?", "The deployment runs on Fridays")).toBeGreaterThan(0.4);
    expect(similarity("when do we deploy?", "The editor crashed when opening large files")).toBeLessThan(0.05);
    expect(similarity("favourite colour", "favorite color")).toBeGreaterThan(similarity("favourite colour", "quarterly report"));
  });

  it("does not know synonyms: that takes an embedding model", () => {
    expect(similarity("car", "automobile")).toBeLessThan(0.2);
  });

  it("normalise folds accents and case and drops possessive 's", () => {
    expect(normalise("Ángel’s NAÏVE Café")).toBe("angel naive cafe");
  });

  it("memory rows keep the name of the embedding that made them; a row made by another is embedded again, not compared as is", () => {
    const db = openDatabase();
    try {
      const store = new MemoryStore(db);
      const tenant = { orgId: "org_e", workspaceId: "ws_e" };
      const record = store.add(tenant, { content: "The user prefers dark mode in the editor" });
      store.add(tenant, { content: "Invoices are sent at the end of each month" });
      expect(db.prepare("SELECT DISTINCT model FROM memories").pluck().all()).toEqual([LOCAL_EMBEDDING_MODEL]);
      // As if another model had made the row: its vector means nothing to this embedding.
      db.prepare("UPDATE memories SET model = 'some-other-model', embedding = ? WHERE id = ?").run(encodeSparse({ indices: [1], values: [1] }), record.id);
      const [best] = store.search(tenant, { query: "which editor mode does the user prefer?" });
      expect(best?.id).toBe(record.id);
      expect(best?.score).toBeCloseTo(similarity("which editor mode does the user prefer?", record.content), 12);
    } finally {
      db.close();
    }
  });
});

// The one RFC 3339 reading shared by datasets' timestamps and audit's `since`: years 0000–0099 are
// years like any other (Date.UTC would read them as 1900–1999), and only real dates and times pass.
import { describe, expect, it } from "vitest";
import { isDateTimeWithZone, parseDateTime } from "../../src/dto/common.js";
import { AuditListInput, validateInput } from "../../src/dto/index.js";

describe("parseDateTime and isDateTimeWithZone", () => {
  it("read years 0000–0099 as themselves", () => {
    expect(parseDateTime("0050-03-01T12:00:00Z")?.toISOString()).toBe("0050-03-01T12:00:00.000Z");
    expect(parseDateTime("0000-01-01T00:00:00+01:00")?.toISOString()).toBe("-000001-12-31T23:00:00.000Z");
    expect(isDateTimeWithZone("0099-12-31T23:59:59.999Z")).toBe(true);
    expect(validateInput(AuditListInput, { since: "0001-01-01T00:00:00Z" }, "audit.list").since).toBe("0001-01-01T00:00:00Z");
  });

  it("refuse what is not a real date and time with a zone", () => {
    for (const text of ["2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z", "2026-01-01T00:00:00", "2026-01-01T00:00:00+24:00", "2026-01-01", "2025-02-29T00:00:00Z"]) {
      expect(isDateTimeWithZone(text), text).toBe(false);
    }
    expect(isDateTimeWithZone("2024-02-29T00:00:00Z")).toBe(true);
  });
});

/**
 * A date parameter as it goes over the wire: a `Date` as its ISO 8601 string, anything else as
 * given. An invalid `Date` becomes the text "Invalid Date", so that validation names the field
 * instead of `toISOString()` throwing a RangeError.
 */
export function wireDate<T>(value: Date | T): string | T {
  if (!(value instanceof Date)) return value;
  return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
}

import { validateSync, type ValidationError } from "class-validator";
import { FlowValidationError, type FlowValidationIssue } from "../errors.js";

/** A DTO class: constructed empty, then filled from plain input. */
export type DtoClass<T extends object> = new () => T;

// Constraints that say what kind of value is expected: for a missing value, the one message worth showing.
const TYPE_CONSTRAINTS = ["isString", "isInt", "isNumber", "isBoolean", "isArray", "isIn", "isObject", "isDefined"];

/**
 * Flattens class-validator's nested errors into `path: message` issues. A missing value or one of
 * the wrong kind gets one issue (what kind of value is expected), not one per rule it would have
 * had to pass.
 */
export function toIssues(errors: readonly ValidationError[], parent = ""): FlowValidationIssue[] {
  const issues: FlowValidationIssue[] = [];
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const constraints = Object.entries(error.constraints ?? {});
    const typeRule = constraints.find(([name]) => TYPE_CONSTRAINTS.includes(name));
    // A value of the wrong kind, or none, gets the one issue that says what kind is expected: the
    // other rules (length, pattern) would only contradict it.
    const shown = typeRule !== undefined ? [typeRule] : error.value === undefined && constraints.length > 1 ? [constraints[0]!] : constraints;
    for (const [, message] of shown) issues.push({ path, message });
    if (error.children?.length) issues.push(...toIssues(error.children, path));
  }
  return issues;
}

/**
 * Checks `input` against the DTO class and returns it as an instance of that class.
 * Unknown properties are rejected, so a misspelt option fails loudly instead of being ignored.
 * The SDK calls this before sending a request; the local platform calls it on what it receives.
 *
 * @throws {FlowValidationError} listing every invalid field.
 */
export function validateInput<T extends object>(dto: DtoClass<T>, input: unknown, what: string): T {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new FlowValidationError(`${what}: expected an object of parameters, got ${describe(input)}`, [
      { path: "", message: "expected an object" },
    ]);
  }
  const instance = Object.assign(new dto(), input);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (errors.length === 0) return instance;
  const issues = toIssues(errors);
  const list = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
  throw new FlowValidationError(`${what}: invalid input (${list})`, issues);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}

import { getMetadataStorage, validateSync, type ValidationError } from "./class-validator.js";
import { FlowValidationError, type FlowValidationIssue } from "../errors.js";
import { exactPathOf, isPlainObject } from "./common.js";

/** Most issues a FlowValidationError lists; beyond them one issue says how many more there were. */
export const MAX_ISSUES = 20;

/** `issues` cut to {@link MAX_ISSUES}, then one `and N more` issue when there were more (`total` of them, when only the first were collected). */
export function capIssues(issues: readonly FlowValidationIssue[], total = issues.length): FlowValidationIssue[] {
  if (total <= MAX_ISSUES) return [...issues];
  return [...issues.slice(0, MAX_ISSUES), { path: "", message: `and ${total - MAX_ISSUES} more` }];
}

/**
 * Collects issues for a hand-written check, keeping the first {@link MAX_ISSUES} and counting the
 * rest, so a check can stop looking once it is {@link IssueCollector.full}.
 */
export class IssueCollector {
  /** The issues kept, at most {@link MAX_ISSUES}. */
  readonly list: FlowValidationIssue[] = [];
  /** How many were found in all. */
  total = 0;

  /** Records one issue. */
  add(path: string, message: string): void {
    this.total += 1;
    if (this.list.length < MAX_ISSUES) this.list.push({ path, message });
  }

  /** True once {@link MAX_ISSUES} are kept: looking further would only count. */
  get full(): boolean {
    return this.list.length >= MAX_ISSUES;
  }

  /** @throws {FlowValidationError} from {@link invalidInput} when any issue was found. */
  throwIfAny(what: string): void {
    if (this.total > 0) throw invalidInput(what, this.list, this.total);
  }
}

/**
 * A FlowValidationError worded like every other: `<what>: invalid input (<path>: <message>; ...)`.
 * The one place that words it. At most {@link MAX_ISSUES} issues are listed, then `and N more`,
 * so that no input (a million unknown keys) makes a message of megabytes.
 */
export function invalidInput(what: string, issues: FlowValidationIssue[], total = issues.length): FlowValidationError {
  const shown = capIssues(issues, total);
  const listed = shown.map((issue, i) => (i === MAX_ISSUES ? issue.message : `${issue.path}: ${issue.message}`));
  return new FlowValidationError(`${what}: invalid input (${listed.join("; ")})`, shown);
}

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
    // class-validator's "unknown value" error has no property: the issue is on the object itself.
    const property = error.property ?? "";
    const path = parent && property ? `${parent}.${property}` : parent || property;
    const constraints = Object.entries(error.constraints ?? {});
    const typeRule = constraints.find(([name]) => TYPE_CONSTRAINTS.includes(name));
    // A value of the wrong kind, or none, gets the one issue that says what kind is expected: the
    // other rules (length, pattern) would only contradict it.
    const shown = typeRule !== undefined ? [typeRule] : error.value === undefined && constraints.length > 1 ? [constraints[0]!] : constraints;
    // A LocatedExact check names the wrong part itself (`rows[0].t`), below the property.
    for (const [name, message] of shown) {
      const exact = exactPathOf(error.target, property, name);
      issues.push({ path: exact === undefined ? path : parent ? `${parent}.${exact}` : exact, message });
    }
    if (error.children?.length) issues.push(...toIssues(error.children, path));
  }
  return issues;
}

// The properties each DTO class declares (its own and inherited), for the count of unknown keys.
const knownProperties = new WeakMap<DtoClass<object>, ReadonlySet<string>>();

/** The property names `dto` validates: any other key of an input is unknown. */
function propertiesOf(dto: DtoClass<object>): ReadonlySet<string> {
  let known = knownProperties.get(dto);
  if (known === undefined) {
    known = new Set(getMetadataStorage().getTargetValidationMetadatas(dto, "", true, false).map((metadata) => metadata.propertyName));
    knownProperties.set(dto, known);
  }
  return known;
}

// A property name quoted whole or not at all (a cut-off quote would slip past redaction).
const MAX_QUOTED_NAME = 256;

/**
 * The unknown keys of `input` as issues when there are at least {@link MAX_ISSUES} of them, else
 * `undefined`: counted here, as class-validator would first build an error for every one of them
 * (half a million keys: seconds of work and a message of tens of megabytes). Fewer are left to
 * class-validator, which lists them beside every other issue.
 */
function manyUnknownKeys(dto: DtoClass<object>, input: Record<string, unknown>): { issues: FlowValidationIssue[]; total: number } | undefined {
  const keys = Object.keys(input);
  if (keys.length < MAX_ISSUES) return undefined;
  const known = propertiesOf(dto);
  const issues: FlowValidationIssue[] = [];
  let total = 0;
  for (const key of keys) {
    if (known.has(key)) continue;
    total += 1;
    if (issues.length < MAX_ISSUES) {
      issues.push(
        key.length > MAX_QUOTED_NAME
          ? { path: "", message: `a property name of ${key.length} characters should not exist` }
          : { path: key, message: `property ${key} should not exist` },
      );
    }
  }
  return total >= MAX_ISSUES ? { issues, total } : undefined;
}

/** Own keys of a parameters object that `Object.assign` onto a DTO instance would misread. */
const UNSAFE_KEYS = ["__proto__", "constructor"] as const;

/**
 * Checks `input` against the DTO class and returns it as an instance of that class.
 * It must be a plain object, and unknown properties are rejected, so a misspelt option fails
 * loudly instead of being ignored.
 * The SDK calls this before sending a request; the local platform calls it on what it receives.
 *
 * @throws {FlowValidationError} listing the invalid fields (at most {@link MAX_ISSUES}, then how many more).
 */
export function validateInput<T extends object>(dto: DtoClass<T>, input: unknown, what: string): T {
  // A Map, a Date or a class instance would pass as an object whose own properties (often none)
  // are not what the caller meant: with every field optional, it would read as "no parameters".
  if (!isPlainObject(input)) {
    throw new FlowValidationError(`${what}: expected an object of parameters, got ${describe(input)}`, [
      { path: "", message: "expected an object" },
    ]);
  }
  // JSON.parse makes `__proto__` an own key: assigned to the instance it would replace its
  // prototype (or, not an object, vanish unchecked), and an own `constructor` hides the DTO class
  // from class-validator. No DTO has either field, so they are refused like any unknown key.
  const unsafe = UNSAFE_KEYS.filter((key) => Object.hasOwn(input, key));
  if (unsafe.length > 0) throw invalidInput(what, unsafe.map((key) => ({ path: key, message: `property ${key} should not exist` })));
  const unknown = manyUnknownKeys(dto, input);
  if (unknown !== undefined) throw invalidInput(what, unknown.issues, unknown.total);
  const instance = Object.assign(new dto(), input);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (errors.length === 0) return instance;
  throw invalidInput(what, toIssues(errors));
}

/**
 * The caller's parameters object, checked before the method merges its positional arguments into
 * it: `undefined` (none given) reads as `{}`. A spread would silently drop anything else (a number,
 * null, an array, a Map), so the call would go out without the parameters the caller meant to set.
 * A key that names a positional argument (`reserved`) is refused too, as the argument would win
 * over it unseen.
 *
 * @throws {FlowValidationError} for anything but `undefined` or a plain object, or a reserved key.
 */
export function paramsObject<T extends object>(params: T | undefined, what: string, reserved: readonly string[] = []): Partial<T> {
  if (params === undefined) return {};
  // Not a class instance, Map or Date either: their own properties are not what the caller meant.
  if (!isPlainObject(params)) {
    throw new FlowValidationError(`${what}: invalid input (params must be an object of parameters, or left out; got ${describe(params)})`, [
      { path: "", message: "params must be an object of parameters, or left out" },
    ]);
  }
  const clashing = reserved.filter((name) => Object.hasOwn(params, name));
  if (clashing.length > 0) {
    throw invalidInput(what, clashing.map((name) => ({ path: name, message: `property ${name} should not exist (${name} is an argument of its own)` })));
  }
  return params as Partial<T>;
}

// What kind of value was given, never the value itself (it may hold a secret of the caller's).
function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  const kind = typeof value === "object" ? Object.prototype.toString.call(value).slice(8, -1) : typeof value;
  if (kind === "Object") return "a class instance";
  return `${/^[AEIOUaeiou]/.test(kind) ? "an" : "a"} ${kind}`;
}

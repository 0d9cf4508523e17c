import type { DependencyContainer, InjectionToken } from "tsyringe";
import { FlowConfigError } from "../errors.js";

/**
 * A class the container can build: `@injectable()`, with `@inject(TOKEN)` on every constructor
 * parameter. (`never[]` accepts any constructor parameters without resorting to `any`.)
 */
export type NamespaceClass<T extends object = object> = new (...args: never[]) => T;

/** Namespaces a plugin adds: property name on the facade → class. */
export type NamespaceMap = Record<string, NamespaceClass>;

/** A provider: what the container hands out for `provide`. */
export type FlowProvider<T = unknown> =
  | {
      /** The token to provide: one of `TOKENS`, a namespace class, or your own. */
      provide: InjectionToken<T>;
      /** A ready value. */
      useValue: T;
    }
  | {
      /** The token to provide. */
      provide: InjectionToken<T>;
      /** A class the container builds once per FlowSDK instance. */
      useClass: new (...args: never[]) => T;
    }
  | {
      /** The token to provide. */
      provide: InjectionToken<T>;
      /** A factory called once per FlowSDK instance, on first use. */
      useFactory: (container: DependencyContainer) => T;
    };

/** A plugin: new namespaces on the facade and/or provider overrides. */
export interface FlowPlugin<N extends NamespaceMap = NamespaceMap> {
  /** Name used in error messages; unique among the plugins of one instance. */
  readonly name: string;
  /** Namespaces to add; each becomes a typed property of the FlowSDK instance. */
  readonly namespaces?: N;
  /** Providers registered after the built-in ones, so they override them. */
  readonly providers?: readonly FlowProvider[];
  /** Names of namespaces this plugin may replace (a built-in or an earlier plugin's), or `true` for all. */
  readonly overrides?: true | readonly string[];
}

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** The properties a list of plugins adds to the facade, each typed as its namespace class. */
export type PluginNamespaces<P extends readonly FlowPlugin[]> = UnionToIntersection<
  { [I in keyof P]: P[I] extends FlowPlugin<infer N> ? { readonly [K in keyof N]: InstanceType<N[K]> } : never }[number]
> extends infer R
  ? [R] extends [never]
    ? unknown
    : R
  : unknown;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Declares a plugin. Returns it unchanged, typed so that `FlowSDK.create({ plugins: [p] })` has
 * its namespaces as typed properties.
 *
 * @example
 * const billing = definePlugin({ name: "billing", namespaces: { billing: BillingNamespace } });
 * const flow = FlowSDK.create({ plugins: [billing] });
 * await flow.billing.charge(100);
 * @throws {FlowConfigError} for a missing name or a namespace name that is not an identifier.
 */
export function definePlugin<const N extends NamespaceMap = Record<never, never>>(plugin: FlowPlugin<N>): FlowPlugin<N> {
  if (typeof plugin?.name !== "string" || !plugin.name.trim()) {
    throw new FlowConfigError("definePlugin(): a plugin needs a non-empty name");
  }
  for (const [key, value] of Object.entries(plugin.namespaces ?? {})) {
    if (!IDENTIFIER.test(key)) throw new FlowConfigError(`plugin "${plugin.name}": namespace name "${key}" must be a JavaScript identifier`);
    if (typeof value !== "function") throw new FlowConfigError(`plugin "${plugin.name}": namespace "${key}" must be an @injectable() class`);
  }
  return plugin;
}

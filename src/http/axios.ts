// The one runtime entry of axios in the SDK: every file that needs an axios value (not only a
// type) imports it from here; types still come from "axios".
//
// axios' Node build (`require("axios")`) loads its own Node transport at once: the http adapter,
// follow-redirects, form-data and proxy-from-env, about 25 ms more at start than its browser build
// (bench/cold-start.ts). The SDK sends every request through its own adapter on undici
// (undici-adapter.ts), so it needs none of that: the browser build has the same axios core
// (create, interceptors, config merging, transforms, AxiosHeaders, AxiosError) and, given an
// adapter, never reaches for XMLHttpRequest or fetch.
import type { AxiosError, AxiosStatic } from "axios";
import { sourceRequire } from "./source-require.js";

let runtime: AxiosStatic | undefined;

/**
 * The axios runtime the SDK's clients are made with (types from "axios"), loaded at the first
 * client an instance makes, not at import: `import` + `FlowSDK.create()` never loads axios, so a
 * block's cold start does not pay for it before its first call (bench/cold-start.ts). A literal
 * require(), so that bundlers see and include it.
 */
export function loadAxios(): AxiosStatic {
  return (runtime ??= typeof require === "function" ? require("axios/dist/browser/axios.cjs") : sourceRequire<AxiosStatic>("axios/dist/browser/axios.cjs"));
}

/** True for an AxiosError of any axios copy: the flag axios' own isAxiosError reads, so axios need not be loaded. */
export function isAxiosError<T = unknown, D = unknown>(value: unknown): value is AxiosError<T, D> {
  return value !== null && typeof value === "object" && (value as { isAxiosError?: unknown }).isAxiosError === true;
}

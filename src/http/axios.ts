// The one runtime entry of axios in the SDK: every file that needs an axios value (not only a
// type) imports it from here; types still come from "axios".
//
// axios' Node build (`require("axios")`) loads its own Node transport at once: the http adapter,
// follow-redirects, form-data and proxy-from-env, about 25 ms more at start than its browser build
// (bench/cold-start.ts). The SDK sends every request through its own adapter on undici
// (undici-adapter.ts), so it needs none of that: the browser build has the same axios core
// (create, interceptors, config merging, transforms, AxiosHeaders, AxiosError) and, given an
// adapter, never reaches for XMLHttpRequest or fetch.
import type { AxiosStatic } from "axios";
import runtime from "axios/dist/browser/axios.cjs";

/** The axios runtime the SDK's clients are made with (types from "axios"). */
export const axios: AxiosStatic = runtime;

/** True for an AxiosError of any axios copy (a flag, not instanceof). */
export const isAxiosError: AxiosStatic["isAxiosError"] = runtime.isAxiosError;

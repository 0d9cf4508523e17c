// The package is built once, as CommonJS (dist/cjs), and ESM importers get thin wrappers
// (dist/esm/*.mjs) that re-export it. One copy of every class whichever way it is loaded: no
// dual-package hazard (a FlowSDK from `import` is the same class as one from `require`), and a
// faster cold start, since class-validator and axios load far quicker as CommonJS than as ESM
// (see bench/cold-start.ts).
//
// Each wrapper gets a .d.mts next to it, so an ESM importer's types say what the wrapper has: the
// named exports and no default export (`import sdk from "@flow-sdk/sdk"` is a type error, as it is at
// run time). A CommonJS consumer keeps dist/cjs/**/*.d.ts.
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const dist = new URL("../dist/", import.meta.url);
writeFileSync(new URL("cjs/package.json", dist), JSON.stringify({ type: "commonjs" }) + "\n");
chmodSync(new URL("cjs/local/cli.js", dist), 0o755);

// The SDK (dist/cjs/src) ships as one bundle, dist/cjs/src/sdk.bundle.js, and every module file
// of it becomes a one-line stub that hands out that module from the bundle. Node spends about a
// quarter of a block's `import` + `create()` over bare node finding, reading and compiling ~116
// small files (bench/cold-start.ts); one file saves that, about 18 ms here. The stubs keep every
// path that requires a module of the SDK (the local platform's `require("../src/flow-sdk.js")`,
// the entry points) on the bundle's one copy of each module, so no class exists twice. esbuild
// bundles tsc's output, decorators and their metadata already compiled; each module stays a
// CommonJS module, evaluated when first required, as before. Packages stay outside the bundle.
{
  const srcDir = fileURLToPath(new URL("cjs/src/", dist));
  const modules = [];
  (function walk(dir) {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith(".js")) modules.push(path.relative(srcDir, file).split(path.sep).join("/"));
    }
  })(srcDir);
  modules.sort();
  const entry = modules.map((m) => `Object.defineProperty(exports, ${JSON.stringify(m)}, { enumerable: true, get: () => require(${JSON.stringify(`./${m}`)}) });`).join("\n");
  await esbuild.build({
    stdin: { contents: entry, resolveDir: srcDir, sourcefile: "sdk.bundle-entry.js", loader: "js" },
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    packages: "external",
    sourcemap: true,
    sourcesContent: true,
    legalComments: "none",
    logLevel: "warning",
    outfile: path.join(srcDir, "sdk.bundle.js"),
  });
  for (const m of modules) {
    const file = path.join(srcDir, m);
    const bundle = path.posix.relative(path.posix.dirname(m), "sdk.bundle.js");
    writeFileSync(file, `"use strict";\n// ${m} of the SDK, from its one bundle (scripts/finish-build.mjs).\nmodule.exports = require(${JSON.stringify(bundle.startsWith(".") ? bundle : `./${bundle}`)})[${JSON.stringify(m)}];\n`);
    rmSync(`${file}.map`, { force: true });
  }
}

// `@flow-sdk/sdk/local` and `@flow-sdk/sdk/testing` need optional peers (better-sqlite3, fastify, jose, ...),
// so `try { await import("@flow-sdk/sdk/local") } catch {}` must be able to catch their absence. On
// Node 20, a CommonJS module that throws while it is evaluated as a *static* dependency of an ESM
// module (`import cjs from "../cjs/local/index.js"`) rejects the import, and the catch runs, but
// Node also reports the error as uncaught and the process exits with code 1 afterwards.
// Loading the CommonJS build with `require` (createRequire) avoids that: its error is thrown by
// the wrapper's own code, an ordinary rejection of the import. (A top-level
// `await import()` would too, but under tsx's loader the namespace of a CommonJS module has no
// `default`.) require also guarantees the one CommonJS instance that `require("@flow-sdk/sdk/local")`
// gets.
//
// The root entry has no optional dependency and keeps a static import, which bundlers follow, but
// of a two-line CommonJS shim (`const sdk = require("./index.js"); module.exports = sdk;`) rather
// than of index.js itself: Node lexes a CommonJS module an ESM module imports for its export
// names, and follows every `export *` (`__exportStar(require(...))`) of it into the module it
// names, so a static import of index.js lexed most of the package a second time (about 60 ms of a
// 250 ms cold start here). The shim has no names to find and no re-export to follow; the wrapper
// takes the names from its default export, which is module.exports.
const require = createRequire(import.meta.url);
const entries = [
  { wrapper: "index", target: "src/index", optionalPeers: false },
  { wrapper: "local", target: "local/index", optionalPeers: true },
  { wrapper: "testing", target: "local/testing", optionalPeers: true },
];
mkdirSync(new URL("esm/", dist), { recursive: true });
for (const { wrapper, target, optionalPeers } of entries) {
  const names = Object.keys(require(`../dist/cjs/${target}.js`)).filter((name) => name !== "__esModule" && name !== "default");
  const load = optionalPeers
    ? `import { createRequire } from "node:module";\nconst cjs = createRequire(import.meta.url)("../cjs/${target}.js");`
    : `import cjs from "../cjs/${target}.shim.js";`;
  if (!optionalPeers) {
    const shim = [
      `// Generated by scripts/finish-build.mjs: what dist/esm/${wrapper}.mjs imports, so that Node does not lex`,
      `// every module that ${target.split("/").pop()}.js re-exports (see the script).`,
      `"use strict";`,
      `const exported = require("./${target.split("/").pop()}.js");`,
      `module.exports = exported;`,
      "",
    ].join("\n");
    writeFileSync(new URL(`cjs/${target}.shim.js`, dist), shim);
  }
  const body = [
    `// Generated by scripts/finish-build.mjs: the ESM face of dist/cjs/${target}.js.`,
    load,
    `export const { ${names.join(", ")} } = cjs;`,
    "",
  ].join("\n");
  writeFileSync(new URL(`esm/${wrapper}.mjs`, dist), body);
  const types = [
    `// Generated by scripts/finish-build.mjs: the types of ${wrapper}.mjs, the named exports of dist/cjs/${target}.js.`,
    `export * from "../cjs/${target}.js";`,
    "",
  ].join("\n");
  writeFileSync(new URL(`esm/${wrapper}.d.mts`, dist), types);
}

// The shipped declarations must type-check in a consumer's project with `skipLibCheck: false` and
// without @types/better-sqlite3 (better-sqlite3 ships no types of its own). The SQLite handle type
// LocalDb appears only in internal declarations (no entry point exports it or a value of it), so
// the published db.d.ts declares it as an opaque handle instead of importing better-sqlite3.
const dbTypes = new URL("cjs/local/db.d.ts", dist);
const dbSource = readFileSync(dbTypes, "utf8");
const dbImport = 'import Database from "better-sqlite3";\n';
const dbAlias = "export type LocalDb = Database.Database;\n";
const rewritten = dbSource.includes("export interface LocalDb {");
if (!rewritten && (!dbSource.includes(dbImport) || !dbSource.includes(dbAlias))) {
  throw new Error("scripts/finish-build.mjs: dist/cjs/local/db.d.ts no longer has the better-sqlite3 import it rewrites; update the script");
}
writeFileSync(
  dbTypes,
  dbSource
    .replace(dbImport, "")
    .replace(
      dbAlias,
      "export interface LocalDb {\n    /** An internal better-sqlite3 Database; its type is not part of the published API. */\n    readonly __localDb: 'better-sqlite3 Database';\n}\n",
    ),
);
const leaked = [];
(function scan(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = new URL(entry.name + (entry.isDirectory() ? "/" : ""), dir);
    if (entry.isDirectory()) scan(file);
    else if (entry.name.endsWith(".d.ts") && /from "better-sqlite3"|import\("better-sqlite3"\)/.test(readFileSync(file, "utf8"))) leaked.push(file.pathname);
  }
})(new URL("cjs/", dist));
if (leaked.length > 0) throw new Error(`scripts/finish-build.mjs: better-sqlite3 types leak into ${leaked.join(", ")}`);

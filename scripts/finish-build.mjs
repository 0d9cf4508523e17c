// tsc writes the CommonJS build as .js files; this marks that folder as CommonJS so Node loads
// it as such under the root package's "type": "module", and makes the CLI executable.
import { chmodSync, existsSync, writeFileSync } from "node:fs";

writeFileSync(new URL("../dist/cjs/package.json", import.meta.url), JSON.stringify({ type: "commonjs" }) + "\n");
for (const cli of ["../dist/esm/local/cli.js", "../dist/cjs/local/cli.js"]) {
  const path = new URL(cli, import.meta.url);
  if (existsSync(path)) chmodSync(path, 0o755);
}

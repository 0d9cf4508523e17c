// Starts an in-memory local platform and prints its environment as one JSON line: the benchmarks
// run it in its own process so the server does not share the client's event loop and CPU time.
import { startLocalPlatform } from "../local/index.js";

const platform = await startLocalPlatform({ tokenTtlSeconds: 3600 });
process.stdout.write(`${JSON.stringify(platform.env)}\n`);
process.on("SIGTERM", () => void platform.close().then(() => process.exit(0)));

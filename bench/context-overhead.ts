// What request-context support costs every other await in the process: time 20,000 awaits with
// no FlowSDK, then after binding a context on 100 and on 1,000 instances (closed again), against
// a bare loop in the same run. Flat figures mean instances leave nothing behind on the hot path.
// Run: npm run bench:context
import { FlowSDK } from "../src/index.js";

const AWAITS = 20_000;

async function awaitLoop(): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < AWAITS; i++) await Promise.resolve(i);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function useInstances(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const flow = FlowSDK.create({ platformUrl: "http://127.0.0.1:9" });
    await flow.runWithRequestContext({ headers: { "x-request-id": `r${i}` } }, async () => flow.requestContext);
    await flow.close();
  }
}

console.log(`${AWAITS} awaits, Node ${process.version}`);
console.log(`no FlowSDK yet:           ${(await awaitLoop()).toFixed(1)} ms`);
await useInstances(100);
console.log(`after 100 instances:      ${(await awaitLoop()).toFixed(1)} ms`);
await useInstances(900);
console.log(`after 1,000 instances:    ${(await awaitLoop()).toFixed(1)} ms`);

// Background jobs: submit, follow progress, wait; a failed attempt is retried by the queue.
// Run: npm run -s flow-sdk-local -- run examples/jobs.ts --manifest examples/flow-local.json
import { FlowSDK } from "@flow-sdk/sdk";

await using flow = FlowSDK.create();

const images = [
  { name: "cat.png", width: 800 },
  { name: "dog.png", width: 1200, failFirst: true },
  { name: "owl.png", width: 640 },
];
const jobs = await Promise.all(images.map((payload) => flow.jobs.submit({ type: "resize-image", payload })));
console.log(`submitted ${jobs.length} jobs: ${jobs.map((job) => job.status).join(", ")}`);

const finished = await Promise.all(jobs.map((job) => flow.jobs.wait<typeof images[number], { name: string; height: number; attempts: number }>(job.id, { timeoutMs: 60_000 })));
for (const job of finished) {
  console.log(`${job.result?.name}: ${job.status} after ${job.attempts} attempt(s), height ${job.result?.height}, last progress ${job.progress?.percent}% "${job.progress?.message}"`);
}

const later = await flow.jobs.submit({ type: "resize-image", payload: { name: "later.png", width: 100 }, runAt: new Date(Date.now() + 3_600_000) });
console.log(`a job for in an hour is ${later.status}; cancelled: ${(await flow.jobs.cancel(later.id)).status}`);

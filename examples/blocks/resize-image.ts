// A job's block: it receives the job's payload, reports progress while it works, and reads the
// job it runs as with `flow.jobs.current()`.
import { defineCodeBlock } from "@flow-sdk/sdk";

export default defineCodeBlock(async (image: { name: string; width: number; failFirst?: boolean }, { flow, signal }) => {
  const job = await flow.jobs.current();
  if (image.failFirst && job?.attempts === 1) throw new Error("the image service was busy"); // retried by the queue
  for (const done of [25, 50, 75]) {
    signal.throwIfAborted(); // a cancelled job stops here
    await flow.jobs.reportProgress(done, `resizing ${image.name}`);
  }
  return { name: image.name, width: image.width, height: Math.round(image.width * 0.75), attempts: job?.attempts };
});

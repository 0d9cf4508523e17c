// A stand-in for an OpenAI-compatible model server, for bench/gateway-stream.ts: POST
// /v1/chat/completions with `stream: true` answers CHUNKS chunks of one word each, one write per
// chunk with a turn of the event loop between them (as tokens arrive from a model), then [DONE].
// Prints its URL on stdout.
import http from "node:http";

const CHUNKS = Number(process.env.CHUNKS ?? 200);
let served = 0;

const server = http.createServer((req, res) => {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (part) => (body += part));
  req.on("end", () => {
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":{"message":"not found"}}');
      return;
    }
    const { model } = JSON.parse(body);
    const id = `chatcmpl-bench-${++served}`;
    const created = Math.floor(Date.now() / 1000);
    const chunk = (delta, finish = null) => `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.write(chunk({ role: "assistant", content: "" }));
    let sent = 0;
    const next = () => {
      if (res.destroyed) return;
      if (sent < CHUNKS) {
        res.write(chunk({ content: `word${sent++} ` }));
        setImmediate(next);
        return;
      }
      res.end(`${chunk({}, "stop")}data: [DONE]\n\n`);
    };
    setImmediate(next);
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`http://127.0.0.1:${server.address().port}\n`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));

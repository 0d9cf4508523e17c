// Server-sent event text as the platform writes it: the model gateway's streams and agent runs' events.

/** An event as server-sent event text: `event:` when named, one `data:` line per line of data, a blank line. */
export function sseText(event: string | undefined, data: string): string {
  return `${event === undefined ? "" : `event: ${event}\n`}${data
    .split("\n")
    .map((line) => `data: ${line}\n`)
    .join("")}\n`;
}

import http from "node:http";
import https from "node:https";

/** The keep-alive socket pools of one FlowSDK instance, shared by its platform and gateway clients. */
export interface HttpAgents {
  /** Pool for `http:` URLs. */
  readonly http: http.Agent;
  /** Pool for `https:` URLs. */
  readonly https: https.Agent;
}

/**
 * Creates an instance's own pools: two instances never share sockets, and `close()` can destroy
 * exactly this instance's sockets so the process exits promptly.
 */
export function createHttpAgents(): HttpAgents {
  const options = { keepAlive: true, maxSockets: 128, maxFreeSockets: 16, scheduling: "lifo" as const };
  return { http: new http.Agent(options), https: new https.Agent(options) };
}

/** Destroys every socket of both pools. */
export function destroyHttpAgents(agents: HttpAgents): void {
  agents.http.destroy();
  agents.https.destroy();
}

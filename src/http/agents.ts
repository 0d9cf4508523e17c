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

/**
 * Destroys every socket of both pools, and first every request still queued for a socket: left
 * queued, Node would open fresh sockets for them once the old ones are gone.
 */
export function destroyHttpAgents(agents: HttpAgents): void {
  for (const agent of [agents.http, agents.https]) {
    for (const queue of Object.values(agent.requests)) {
      for (const request of queue ?? []) request.destroy(new Error("the FlowSDK instance was closed"));
    }
    agent.destroy();
  }
}

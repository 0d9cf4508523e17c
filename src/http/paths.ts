import type { FlowConfig } from "../container/config.js";
import { FlowConfigError } from "../errors.js";

/**
 * The `/v1/orgs/:org/workspaces/:ws` prefix of workspace routes, with each extra segment
 * percent-encoded.
 *
 * @throws {FlowConfigError} when ORG_ID or WORKSPACE_ID is not configured.
 */
export function workspacePath(config: FlowConfig, area: string, ...segments: string[]): string {
  const missing = [config.orgId ? undefined : "ORG_ID (option orgId)", config.workspaceId ? undefined : "WORKSPACE_ID (option workspaceId)"].filter(Boolean);
  if (missing.length > 0) {
    throw new FlowConfigError(`flow.${area} needs ${missing.join(" and ")}: set them in the environment or pass them to FlowSDK.create()`, missing as string[]);
  }
  const tail = segments.map((s) => `/${encodeURIComponent(s)}`).join("");
  return `/v1/orgs/${encodeURIComponent(config.orgId!)}/workspaces/${encodeURIComponent(config.workspaceId!)}/${area}${tail}`;
}

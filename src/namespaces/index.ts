import { AgentsNamespace } from "./agents.js";
import { AuditNamespace } from "./audit.js";
import { AuthNamespace } from "./auth.js";
import { CodeBlocksNamespace } from "./code-blocks.js";
import { ConnectorsNamespace } from "./connectors.js";
import { ConversationsNamespace } from "./conversations.js";
import { DatasetsNamespace } from "./datasets.js";
import { GatewayNamespace } from "./gateway.js";
import { JobsNamespace } from "./jobs.js";
import { MemoryNamespace } from "./memory.js";
import { SecretsNamespace } from "./secrets.js";
import { ServiceTokensNamespace } from "./service-tokens.js";
import { ServiceNamespace } from "./service.js";
import { ServicesNamespace } from "./services.js";
import { StateNamespace } from "./state.js";
import { StorageNamespace } from "./storage.js";
import { VectorNamespace } from "./vector.js";
import { WorkflowsNamespace } from "./workflows.js";

/** The 18 built-in namespaces: facade property → class (the class is also its injection token). */
export const BUILTIN_NAMESPACES = {
  gateway: GatewayNamespace,
  codeBlocks: CodeBlocksNamespace,
  agents: AgentsNamespace,
  workflows: WorkflowsNamespace,
  datasets: DatasetsNamespace,
  connectors: ConnectorsNamespace,
  secrets: SecretsNamespace,
  state: StateNamespace,
  conversations: ConversationsNamespace,
  storage: StorageNamespace,
  audit: AuditNamespace,
  auth: AuthNamespace,
  vector: VectorNamespace,
  memory: MemoryNamespace,
  service: ServiceNamespace,
  services: ServicesNamespace,
  jobs: JobsNamespace,
  serviceTokens: ServiceTokensNamespace,
} as const;

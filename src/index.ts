import "reflect-metadata";

export { FlowSDK } from "./flow-sdk.js";
// Re-exported so that plugin authors import them from here, after reflect-metadata is loaded:
// importing tsyringe before any polyfill throws.
export { inject, injectable } from "tsyringe";
export type { FlowOptions } from "./container/create-container.js";
export type { FlowConfig, ConfigOptions } from "./container/config.js";
export { TOKENS } from "./container/tokens.js";
export type { Lifecycle } from "./container/lifecycle.js";
export { definePlugin } from "./plugins/define-plugin.js";
export type { FlowPlugin, FlowProvider, NamespaceClass, NamespaceMap, PluginNamespaces } from "./plugins/define-plugin.js";
export type { RequestContext, RequestContextInput, RequestContextToken, RequestContextStore } from "./context/request-context.js";
export type { RequestOptions } from "./http/request-options.js";
export { callConfig, type CallSwitches } from "./http/call-options.js";
export { rawRequest, type RawRequestMethod, type RawRequestParams } from "./http/raw-request.js";
export { pagedList, type ListRequest } from "./http/paged-list.js";
export { workspacePath } from "./http/paths.js";
export type { CurrentToken, TokenProvider, TokenManager } from "./http/token-manager.js";
export type { HttpAgents } from "./http/agents.js";
export type { Redactor } from "./logging/redactor.js";
export type { WaitBounds } from "./internal/workspace-client.js";
export type { WireFinishReason } from "./dto/gateway-wire.js";
export type { FlowLogger, LogFields } from "./logging/logger.js";
export { Page, PagePromise } from "./pagination.js";
export type { PageData, PageFetcher } from "./pagination.js";
export { SDK_VERSION } from "./version.js";
export { defineCodeBlock, type CodeBlockContext, type CodeBlockFunction, type CodeBlockRequest } from "./block.js";
export * from "./errors.js";
export type { Filter, FilterCondition, FilterScalar, FilterValue } from "./dto/filter.js";

export * from "./namespaces/agents.js";
export * from "./namespaces/audit.js";
export * from "./namespaces/auth.js";
export * from "./namespaces/code-blocks.js";
export * from "./namespaces/connectors.js";
export * from "./namespaces/conversations.js";
export * from "./namespaces/datasets.js";
export * from "./namespaces/gateway.js";
export * from "./namespaces/jobs.js";
export * from "./namespaces/memory.js";
export * from "./namespaces/secrets.js";
export * from "./namespaces/service-tokens.js";
export * from "./namespaces/service.js";
export * from "./namespaces/services.js";
export * from "./namespaces/state.js";
export * from "./namespaces/storage.js";
export * from "./namespaces/vector.js";
export * from "./namespaces/workflows.js";

export * from "./common.js";
export * from "./state.js";
export * from "./audit.js";
export { validateInput, toIssues, type DtoClass } from "./validate.js";

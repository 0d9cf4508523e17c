export * from "./common.js";
export * from "./state.js";
export * from "./audit.js";
export { validateInput, type DtoClass } from "./validate.js";
export { RequestOptionsInput } from "./request-options.js";
export { scopeCovers, scopeList } from "./scopes.js";

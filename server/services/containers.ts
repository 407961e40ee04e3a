/**
 * Container actions: each checks plans and allocations, records an audit entry, and either calls the
 * node's engine directly (quick: limits, password, usage) or starts an operation (slow: create, start,
 * stop, restart, reinstall, destroy). Nothing half-made is left behind: a failed create removes its row
 * (the engine already rolled back its host changes).
 */
export {
  cloneContainer,
  createContainer,
  defaultNode,
  FIRST_CTID,
  reserveContainer,
  type CloneInput,
  type CreateInput,
} from "./container-create.js";
export { containerAction, destroyContainer, reinstallContainer } from "./container-lifecycle.js";
export { bootLog, resetRootPassword, setLimits, setSshKeys, usage } from "./container-settings.js";
export type { OpType } from "./operations.js";

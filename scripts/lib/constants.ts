/** Mirrors of on-chain enums and bitmasks (contracts/libraries/VerificationModes.sol, INodeRegistry.NodeStatus). */
export const VerificationMode = {
  NONE: 1 << 0,
  OPTIMISTIC: 1 << 1,
  TEE: 1 << 2,
  ZK: 1 << 3,
} as const;

/** INodeRegistry.NodeStatus, indexable by the uint8 the contract returns. */
export const NodeStatus = ["None", "Active", "Exiting", "Exited", "Jailed"] as const;

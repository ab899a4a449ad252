// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title INodeRegistry
/// @notice Node operators register here with an endpoint and the model versions they serve.
/// @dev Lifecycle: None -> Active -> Exiting -> Exited (-> Active again by re-registering). The slasher role
/// (the DisputeManager, the RedundantManager and the TeeSettler) can jail an Active, Exiting or Exited node (a node
/// proven wrong ends Jailed whatever its status, so exiting first does not let it register again); governance can
/// release it back to Active.
/// A node is registered by its operator address, which is also its staking account. Its TEE enclave keys are bound
/// in the TeeSettler (`ITeeSettler.registerEnclave`, `getEnclave`), not here.
interface INodeRegistry {
    enum NodeStatus {
        None,
        Active,
        Exiting,
        Exited,
        Jailed
    }

    struct Node {
        NodeStatus status;
        uint64 registeredAt;
        uint64 exitRequestedAt;
        string endpoint;
        uint256[] servedVersions;
    }

    // -- Events --

    event NodeRegistered(address indexed operator, string endpoint, uint256[] versionIds);
    event NodeEndpointUpdated(address indexed operator, string endpoint);
    event NodeVersionsServed(address indexed operator, uint256[] versionIds);
    event NodeVersionsUnserved(address indexed operator, uint256[] versionIds);
    event NodeExitStarted(address indexed operator);
    event NodeExited(address indexed operator);
    event NodeJailed(address indexed operator, address indexed by);
    event NodeUnjailed(address indexed operator);

    // -- Errors --

    error NodeRegistryZeroAddress();
    error NodeRegistryInvalidEndpoint(uint256 length, uint256 maxLength);
    error NodeRegistryInsufficientStake(address operator, uint256 free, uint256 minimum);
    error NodeRegistryInvalidStatus(address operator, NodeStatus status);
    error NodeRegistryVersionNotActive(uint256 versionId);
    error NodeRegistryVersionAlreadyServed(address operator, uint256 versionId);
    error NodeRegistryVersionNotServed(address operator, uint256 versionId);
    error NodeRegistryTooManyVersions(address operator, uint256 count, uint256 maxVersions);
    error NodeRegistryEmptyVersionList();
    error NodeRegistryCollateralLocked(address operator, uint256 locked);

    // -- Operators --

    /// @notice Register the caller as a node serving `versionIds` (each an active model version) at `endpoint`.
    /// @dev Needs free stake >= the staking minimum. Allowed from None and from Exited.
    function register(string calldata endpoint, uint256[] calldata versionIds) external;

    /// @notice Change the caller's endpoint URI.
    function setEndpoint(string calldata endpoint) external;

    /// @notice Start serving more versions. Active nodes only; needs the minimum free stake.
    function serveVersions(uint256[] calldata versionIds) external;

    /// @notice Stop serving versions.
    function unserveVersions(uint256[] calldata versionIds) external;

    /// @notice Stop taking new work: Active -> Exiting. Open commitments must still be honoured.
    function exit() external;

    /// @notice Exiting -> Exited, once no collateral is locked for the caller (no open commitment or dispute).
    function completeExit() external;

    // -- Slasher and governance --

    /// @notice Jail an Active, Exiting or Exited node (reverts for an unknown or already Jailed one). SLASHER_ROLE.
    /// @param operator The node proven wrong.
    function jail(address operator) external;

    /// @notice Release a jailed node back to Active. GOVERNOR_ROLE.
    function unjail(address operator) external;

    // -- Views --

    function getNode(address operator) external view returns (Node memory);

    function statusOf(address operator) external view returns (NodeStatus);

    function isServing(address operator, uint256 versionId) external view returns (bool);

    /// @notice True when `operator` may take new work on `versionId`: Active, serving it, the version active, and
    /// free stake at least the staking minimum.
    function isEligible(address operator, uint256 versionId) external view returns (bool);

    /// @notice Every operator that ever registered, newest first, paginated (`offset` counts from the newest).
    /// @dev A view for off-chain callers: it walks `offset + limit` list links.
    function listNodes(uint256 offset, uint256 limit) external view returns (address[] memory operators);

    function nodeCount() external view returns (uint256);
}

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

    /// @notice A node as returned by `getNode`.
    /// @param registeredAt When the node last registered.
    /// @param exitRequestedAt When it called `exit` (0 if it has not since registering, or since `unjail`).
    /// @param servedVersions The versions it serves, in no particular order.
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
    /// @param endpoint The node's endpoint URI, 1 to MAX_ENDPOINT_BYTES bytes.
    /// @param versionIds The versions to serve: active, distinct, at most MAX_SERVED_VERSIONS (may be empty).
    function register(string calldata endpoint, uint256[] calldata versionIds) external;

    /// @notice Change the caller's endpoint URI (any registered status but Exited).
    /// @param endpoint The new endpoint URI, 1 to MAX_ENDPOINT_BYTES bytes.
    function setEndpoint(string calldata endpoint) external;

    /// @notice Start serving more versions. Active nodes only; needs the minimum free stake.
    /// @param versionIds Active versions not served yet (non-empty; the served set stays within
    /// MAX_SERVED_VERSIONS).
    function serveVersions(uint256[] calldata versionIds) external;

    /// @notice Stop serving versions (Active or Exiting nodes).
    /// @param versionIds Versions the caller serves (non-empty).
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
    /// @param operator A Jailed node.
    function unjail(address operator) external;

    // -- Views --

    /// @notice The record of `operator` (all zero, status None, if it never registered).
    /// @param operator The node's operator address.
    /// @return The node's status, registration and exit times, endpoint and served versions.
    function getNode(address operator) external view returns (Node memory);

    /// @notice The status of `operator` (None if it never registered).
    /// @param operator The node's operator address.
    /// @return The node's status.
    function statusOf(address operator) external view returns (NodeStatus);

    /// @notice True when `operator` has `versionId` in its served set.
    /// @param operator The node's operator address.
    /// @param versionId A model version id.
    /// @return True when the node serves the version (whatever the node's or the version's status).
    function isServing(address operator, uint256 versionId) external view returns (bool);

    /// @notice True when `operator` may take new work on `versionId`: Active, serving it, the version active, and
    /// free stake at least the staking minimum.
    /// @param operator The node's operator address.
    /// @param versionId A model version id.
    /// @return True when the node is eligible for new requests on the version now.
    function isEligible(address operator, uint256 versionId) external view returns (bool);

    /// @notice Every operator that ever registered, newest first, paginated (`offset` counts from the newest).
    /// @dev A view for off-chain callers: it walks `offset + limit` list links.
    /// @param offset How many of the newest operators to skip.
    /// @param limit The most operators to return.
    /// @return operators Operator addresses, newest first, clipped to what exists.
    function listNodes(uint256 offset, uint256 limit) external view returns (address[] memory operators);

    /// @notice The number of operators that ever registered (each once, however often it re-registered).
    /// @return The operator count.
    function nodeCount() external view returns (uint256);
}

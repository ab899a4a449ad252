// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {IStaking} from "../interfaces/IStaking.sol";

/// @title NodeRegistry
/// @notice Who serves what, and where. Stake itself lives in Staking; this contract only checks it.
contract NodeRegistry is INodeRegistry, AccessControl {
    string public constant VERSION = "0.1.0";

    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");
    /// @notice Held by the DisputeManager and the RedundantManager (jail nodes proven wrong) and the TeeSettler (jails
    /// a node whose enclave key equivocated).
    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");

    uint256 public constant MAX_ENDPOINT_BYTES = 256;
    /// @notice Bounds every loop over a node's served set.
    uint256 public constant MAX_SERVED_VERSIONS = 32;

    /// @dev The header (status, served count, timestamps and the link to the previously registered operator) fills
    /// exactly one slot, and served version ids are packed four to a slot (uint64 each): registering a node with one
    /// version writes three new slots (header, endpoint, served) plus the list head, and no enumerable set.
    struct NodeRecord {
        NodeStatus status;
        uint8 servedCount;
        uint40 registeredAt;
        uint40 exitRequestedAt;
        address previous;
        string endpoint;
        uint64[MAX_SERVED_VERSIONS] served;
    }

    /// @dev Operators form a singly linked list through `NodeRecord.previous`, newest first.
    /// The count and the head share one slot.
    struct OperatorList {
        uint96 count;
        address newest;
    }

    IStaking public immutable staking;
    IModelRegistry public immutable modelRegistry;

    mapping(address operator => NodeRecord record) private _nodes;
    OperatorList private _operatorList;

    constructor(address staking_, address modelRegistry_, address admin) {
        if (staking_ == address(0) || modelRegistry_ == address(0) || admin == address(0)) {
            revert NodeRegistryZeroAddress();
        }
        staking = IStaking(staking_);
        modelRegistry = IModelRegistry(modelRegistry_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GOVERNOR_ROLE, admin);
    }

    // -- Operators --

    /// @inheritdoc INodeRegistry
    function register(string calldata endpoint, uint256[] calldata versionIds) external {
        NodeRecord storage node = _nodes[msg.sender];
        NodeStatus status = node.status;
        if (status != NodeStatus.None && status != NodeStatus.Exited) {
            revert NodeRegistryInvalidStatus(msg.sender, status);
        }
        _validateEndpoint(endpoint);
        _requireMinimumStake(msg.sender);
        if (status == NodeStatus.None) {
            OperatorList memory list = _operatorList;
            node.previous = list.newest;
            _operatorList = OperatorList({count: list.count + 1, newest: msg.sender});
        }

        node.status = NodeStatus.Active;
        node.registeredAt = uint40(block.timestamp);
        node.exitRequestedAt = 0;
        node.endpoint = endpoint;
        _addVersions(node, versionIds);
        emit NodeRegistered(msg.sender, endpoint, versionIds);
    }

    /// @inheritdoc INodeRegistry
    function setEndpoint(string calldata endpoint) external {
        NodeRecord storage node = _nodes[msg.sender];
        if (node.status == NodeStatus.None || node.status == NodeStatus.Exited) {
            revert NodeRegistryInvalidStatus(msg.sender, node.status);
        }
        _validateEndpoint(endpoint);
        node.endpoint = endpoint;
        emit NodeEndpointUpdated(msg.sender, endpoint);
    }

    /// @inheritdoc INodeRegistry
    function serveVersions(uint256[] calldata versionIds) external {
        NodeRecord storage node = _requireStatus(msg.sender, NodeStatus.Active);
        if (versionIds.length == 0) revert NodeRegistryEmptyVersionList();
        _requireMinimumStake(msg.sender);
        _addVersions(node, versionIds);
        emit NodeVersionsServed(msg.sender, versionIds);
    }

    /// @inheritdoc INodeRegistry
    function unserveVersions(uint256[] calldata versionIds) external {
        NodeRecord storage node = _nodes[msg.sender];
        if (node.status != NodeStatus.Active && node.status != NodeStatus.Exiting) {
            revert NodeRegistryInvalidStatus(msg.sender, node.status);
        }
        if (versionIds.length == 0) revert NodeRegistryEmptyVersionList();
        for (uint256 i = 0; i < versionIds.length; ++i) {
            uint256 count = node.servedCount;
            uint256 index = _indexOf(node, versionIds[i], count);
            if (index == count) revert NodeRegistryVersionNotServed(msg.sender, versionIds[i]);
            node.served[index] = node.served[count - 1];
            node.served[count - 1] = 0;
            node.servedCount = uint8(count - 1);
        }
        emit NodeVersionsUnserved(msg.sender, versionIds);
    }

    /// @inheritdoc INodeRegistry
    function exit() external {
        NodeRecord storage node = _requireStatus(msg.sender, NodeStatus.Active);
        node.status = NodeStatus.Exiting;
        node.exitRequestedAt = uint40(block.timestamp);
        emit NodeExitStarted(msg.sender);
    }

    /// @inheritdoc INodeRegistry
    function completeExit() external {
        NodeRecord storage node = _requireStatus(msg.sender, NodeStatus.Exiting);
        uint256 locked = staking.lockedStake(msg.sender);
        if (locked != 0) revert NodeRegistryCollateralLocked(msg.sender, locked);
        uint256 count = node.servedCount;
        for (uint256 i = 0; i < count; ++i) {
            node.served[i] = 0;
        }
        node.servedCount = 0;
        node.status = NodeStatus.Exited;
        emit NodeExited(msg.sender);
    }

    // -- Slasher and governance --

    /// @inheritdoc INodeRegistry
    function jail(address operator) external onlyRole(SLASHER_ROLE) {
        NodeRecord storage node = _nodes[operator];
        // An Exited node is jailed too: otherwise a node that exits before its lie is proven could `register` again.
        if (node.status == NodeStatus.None || node.status == NodeStatus.Jailed) {
            revert NodeRegistryInvalidStatus(operator, node.status);
        }
        node.status = NodeStatus.Jailed;
        emit NodeJailed(operator, msg.sender);
    }

    /// @inheritdoc INodeRegistry
    function unjail(address operator) external onlyRole(GOVERNOR_ROLE) {
        NodeRecord storage node = _requireStatus(operator, NodeStatus.Jailed);
        node.status = NodeStatus.Active;
        node.exitRequestedAt = 0;
        emit NodeUnjailed(operator);
    }

    // -- Views --

    /// @inheritdoc INodeRegistry
    function getNode(address operator) external view returns (Node memory info) {
        NodeRecord storage node = _nodes[operator];
        info.status = node.status;
        info.registeredAt = node.registeredAt;
        info.exitRequestedAt = node.exitRequestedAt;
        info.endpoint = node.endpoint;
        uint256 count = node.servedCount;
        info.servedVersions = new uint256[](count);
        for (uint256 i = 0; i < count; ++i) {
            info.servedVersions[i] = node.served[i];
        }
    }

    /// @inheritdoc INodeRegistry
    function statusOf(address operator) external view returns (NodeStatus) {
        return _nodes[operator].status;
    }

    /// @inheritdoc INodeRegistry
    function isServing(address operator, uint256 versionId) public view returns (bool) {
        NodeRecord storage node = _nodes[operator];
        uint256 count = node.servedCount;
        return _indexOf(node, versionId, count) < count;
    }

    /// @inheritdoc INodeRegistry
    function isEligible(address operator, uint256 versionId) external view returns (bool) {
        return
            _nodes[operator].status == NodeStatus.Active &&
            isServing(operator, versionId) &&
            modelRegistry.isActiveVersion(versionId) &&
            staking.freeStake(operator) >= staking.minimumStake();
    }

    /// @inheritdoc INodeRegistry
    function listNodes(uint256 offset, uint256 limit) external view returns (address[] memory operators) {
        uint256 total = _operatorList.count;
        if (offset >= total) return operators;
        uint256 count = total - offset < limit ? total - offset : limit;
        operators = new address[](count);
        address cursor = _operatorList.newest;
        for (uint256 i = 0; i < offset; ++i) {
            cursor = _nodes[cursor].previous;
        }
        for (uint256 i = 0; i < count; ++i) {
            operators[i] = cursor;
            cursor = _nodes[cursor].previous;
        }
    }

    /// @inheritdoc INodeRegistry
    function nodeCount() external view returns (uint256) {
        return _operatorList.count;
    }

    // -- Internal --

    function _addVersions(NodeRecord storage node, uint256[] calldata versionIds) private {
        uint256 count = node.servedCount;
        if (count + versionIds.length > MAX_SERVED_VERSIONS) {
            revert NodeRegistryTooManyVersions(msg.sender, count + versionIds.length, MAX_SERVED_VERSIONS);
        }
        for (uint256 i = 0; i < versionIds.length; ++i) {
            uint256 versionId = versionIds[i];
            if (!modelRegistry.isActiveVersion(versionId)) revert NodeRegistryVersionNotActive(versionId);
            if (_indexOf(node, versionId, count) < count)
                revert NodeRegistryVersionAlreadyServed(msg.sender, versionId);
            // Version ids are sequential from 1, so they fit in 64 bits for any registry that can exist.
            node.served[count] = uint64(versionId);
            ++count;
        }
        node.servedCount = uint8(count);
    }

    /// @dev The index of `versionId` among the first `count` served slots, or `count` when absent.
    function _indexOf(NodeRecord storage node, uint256 versionId, uint256 count) private view returns (uint256) {
        for (uint256 i = 0; i < count; ++i) {
            if (node.served[i] == versionId) return i;
        }
        return count;
    }

    function _requireStatus(address operator, NodeStatus expected) private view returns (NodeRecord storage node) {
        node = _nodes[operator];
        if (node.status != expected) revert NodeRegistryInvalidStatus(operator, node.status);
    }

    function _requireMinimumStake(address operator) private view {
        uint256 free = staking.freeStake(operator);
        uint256 minimum = staking.minimumStake();
        if (free < minimum) revert NodeRegistryInsufficientStake(operator, free, minimum);
    }

    function _validateEndpoint(string calldata endpoint) private pure {
        uint256 length = bytes(endpoint).length;
        if (length == 0 || length > MAX_ENDPOINT_BYTES) revert NodeRegistryInvalidEndpoint(length, MAX_ENDPOINT_BYTES);
    }
}

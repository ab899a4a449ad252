// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {GenerationLib} from "../libraries/GenerationLib.sol";
import {VerificationModes} from "../libraries/VerificationModes.sol";

/// @title ModelRegistry
/// @notice Models and their immutable, content-pinned versions. Permissionless: anyone may publish.
contract ModelRegistry is IModelRegistry {
    string public constant VERSION = "0.1.0";

    uint256 public constant MAX_NAME_BYTES = 64;
    /// @notice A binary CIDv1 of a sha2-256 digest is 36 bytes; 64 leaves room for other multihashes.
    uint256 public constant MAX_CID_BYTES = 64;
    uint32 public constant MAX_LAYERS = 1024;
    uint256 public constant MAX_RANK = 8;
    uint256 public constant MAX_VERSIONS_PER_MODEL = 1024;
    uint256 public constant MAX_FEE = type(uint128).max;

    uint256 private _modelCount;
    uint256 private _versionCount;
    mapping(uint256 modelId => Model model) private _models;
    mapping(uint256 versionId => ModelVersion version) private _versions;
    mapping(address owner => mapping(bytes32 nameHash => uint256 modelId)) private _modelIdByName;
    mapping(uint256 versionId => GenerationSpec generation) private _generations;

    modifier onlyModelOwner(uint256 modelId) {
        address owner = _models[modelId].owner;
        if (owner == address(0)) revert ModelRegistryUnknownModel(modelId);
        if (owner != msg.sender) revert ModelRegistryNotModelOwner(modelId, msg.sender);
        _;
    }

    // -- Publishing --

    /// @inheritdoc IModelRegistry
    function publishModel(
        string calldata name,
        VersionSpec calldata spec
    ) external returns (uint256 modelId, uint256 versionId) {
        modelId = _createModel(name);
        versionId = _publishVersion(modelId, spec);
    }

    /// @inheritdoc IModelRegistry
    function publishGenerationModel(
        string calldata name,
        VersionSpec calldata spec,
        GenerationSpec calldata generation
    ) external returns (uint256 modelId, uint256 versionId) {
        modelId = _createModel(name);
        versionId = _publishGeneration(modelId, spec, generation);
    }

    /// @inheritdoc IModelRegistry
    function publishVersion(
        uint256 modelId,
        VersionSpec calldata spec
    ) external onlyModelOwner(modelId) returns (uint256 versionId) {
        versionId = _publishVersion(modelId, spec);
    }

    /// @inheritdoc IModelRegistry
    function publishGenerationVersion(
        uint256 modelId,
        VersionSpec calldata spec,
        GenerationSpec calldata generation
    ) external onlyModelOwner(modelId) returns (uint256 versionId) {
        versionId = _publishGeneration(modelId, spec, generation);
    }

    /// @inheritdoc IModelRegistry
    function deprecateVersion(uint256 versionId) external {
        ModelVersion storage version = _versions[versionId];
        uint256 modelId = version.modelId;
        if (modelId == 0) revert ModelRegistryUnknownVersion(versionId);
        if (_models[modelId].owner != msg.sender) revert ModelRegistryNotModelOwner(modelId, msg.sender);
        if (version.deprecated) revert ModelRegistryAlreadyDeprecated(versionId);
        version.deprecated = true;
        emit ModelVersionDeprecated(modelId, versionId);
    }

    // -- Ownership --

    /// @inheritdoc IModelRegistry
    function transferModelOwnership(uint256 modelId, address newOwner) external onlyModelOwner(modelId) {
        _models[modelId].pendingOwner = newOwner;
        emit ModelOwnershipTransferStarted(modelId, msg.sender, newOwner);
    }

    /// @inheritdoc IModelRegistry
    function acceptModelOwnership(uint256 modelId) external {
        Model storage model = _models[modelId];
        if (model.owner == address(0)) revert ModelRegistryUnknownModel(modelId);
        if (model.pendingOwner != msg.sender) revert ModelRegistryNotPendingOwner(modelId, msg.sender);

        bytes32 nameHash = keccak256(bytes(model.name));
        uint256 clash = _modelIdByName[msg.sender][nameHash];
        if (clash != 0) revert ModelRegistryNameTaken(msg.sender, model.name, clash);

        address previousOwner = model.owner;
        delete _modelIdByName[previousOwner][nameHash];
        _modelIdByName[msg.sender][nameHash] = modelId;
        model.owner = msg.sender;
        model.pendingOwner = address(0);
        emit ModelOwnershipTransferred(modelId, previousOwner, msg.sender);
    }

    // -- Views --

    /// @inheritdoc IModelRegistry
    function getModel(uint256 modelId) external view returns (Model memory) {
        Model storage model = _models[modelId];
        if (model.owner == address(0)) revert ModelRegistryUnknownModel(modelId);
        return model;
    }

    /// @inheritdoc IModelRegistry
    function getVersion(uint256 versionId) external view returns (ModelVersion memory) {
        ModelVersion storage version = _versions[versionId];
        if (version.modelId == 0) revert ModelRegistryUnknownVersion(versionId);
        return version;
    }

    /// @inheritdoc IModelRegistry
    function requestTerms(uint256 versionId) external view returns (RequestTerms memory terms) {
        ModelVersion storage version = _versions[versionId];
        if (version.modelId == 0) revert ModelRegistryUnknownVersion(versionId);
        terms.active = !version.deprecated;
        terms.modes = version.modes;
        terms.fee = uint128(version.fee); // at most MAX_FEE = type(uint128).max (`_validate`)
        terms.inputBytes = _elementCount(version.inputShape);
        terms.outputBytes = _elementCount(version.outputShape);
    }

    /// @inheritdoc IModelRegistry
    function generationOf(uint256 versionId) external view returns (GenerationSpec memory) {
        if (_versions[versionId].modelId == 0) revert ModelRegistryUnknownVersion(versionId);
        return _generations[versionId];
    }

    /// @inheritdoc IModelRegistry
    function isActiveVersion(uint256 versionId) external view returns (bool) {
        ModelVersion storage version = _versions[versionId];
        return version.modelId != 0 && !version.deprecated;
    }

    /// @inheritdoc IModelRegistry
    function latestVersion(uint256 modelId) external view returns (uint256) {
        Model storage model = _models[modelId];
        if (model.owner == address(0)) revert ModelRegistryUnknownModel(modelId);
        return model.versionIds[model.versionIds.length - 1];
    }

    /// @inheritdoc IModelRegistry
    function modelIdOf(address owner, string calldata name) external view returns (uint256) {
        return _modelIdByName[owner][keccak256(bytes(name))];
    }

    /// @inheritdoc IModelRegistry
    function modelCount() external view returns (uint256) {
        return _modelCount;
    }

    /// @inheritdoc IModelRegistry
    function versionCount() external view returns (uint256) {
        return _versionCount;
    }

    /// @inheritdoc IModelRegistry
    function listModels(uint256 offset, uint256 limit) external view returns (uint256[] memory modelIds) {
        uint256 count = _pageLength(_modelCount, offset, limit);
        modelIds = new uint256[](count);
        for (uint256 i = 0; i < count; ++i) {
            modelIds[i] = offset + i + 1;
        }
    }

    /// @inheritdoc IModelRegistry
    function listVersions(
        uint256 modelId,
        uint256 offset,
        uint256 limit
    ) external view returns (uint256[] memory versionIds) {
        Model storage model = _models[modelId];
        if (model.owner == address(0)) revert ModelRegistryUnknownModel(modelId);
        uint256 count = _pageLength(model.versionIds.length, offset, limit);
        versionIds = new uint256[](count);
        for (uint256 i = 0; i < count; ++i) {
            versionIds[i] = model.versionIds[offset + i];
        }
    }

    // -- Internal --

    /// @dev A new model named `name`, owned by the caller (without a version yet: the caller publishes one at once).
    function _createModel(string calldata name) private returns (uint256 modelId) {
        uint256 nameLength = bytes(name).length;
        if (nameLength == 0 || nameLength > MAX_NAME_BYTES) revert ModelRegistryInvalidName(nameLength, MAX_NAME_BYTES);
        bytes32 nameHash = keccak256(bytes(name));
        uint256 existing = _modelIdByName[msg.sender][nameHash];
        if (existing != 0) revert ModelRegistryNameTaken(msg.sender, name, existing);

        modelId = ++_modelCount;
        Model storage model = _models[modelId];
        model.owner = msg.sender;
        model.name = name;
        _modelIdByName[msg.sender][nameHash] = modelId;
        emit ModelPublished(modelId, msg.sender, name);
    }

    /// @dev Publishes a generation version of `modelId` (`publishGenerationVersion`).
    function _publishGeneration(
        uint256 modelId,
        VersionSpec calldata spec,
        GenerationSpec calldata generation
    ) private returns (uint256 versionId) {
        if (generation.contextLength == 0 || generation.maxTokens == 0) {
            revert ModelRegistryInvalidGeneration(generation.contextLength, generation.maxTokens);
        }
        uint256 inputBytes = GenerationLib.REQUEST_HEADER_BYTES + generation.maxPrompt;
        uint256 outputBytes = 1 + uint256(generation.maxTokens);
        if (
            spec.inputShape.length != 1 ||
            spec.inputShape[0] != inputBytes ||
            spec.outputShape.length != 1 ||
            spec.outputShape[0] != outputBytes
        ) revert ModelRegistryGenerationShapes(inputBytes, outputBytes);
        if (
            spec.modes & (VerificationModes.NONE | VerificationModes.OPTIMISTIC | VerificationModes.TEE) != spec.modes
        ) {
            revert ModelRegistryGenerationModes(spec.modes);
        }
        versionId = _publishVersion(modelId, spec);
        _generations[versionId] = generation;
        emit GenerationVersionPublished(versionId, generation);
    }

    function _publishVersion(uint256 modelId, VersionSpec calldata spec) private returns (uint256 versionId) {
        _validate(spec);
        Model storage model = _models[modelId];
        if (model.versionIds.length >= MAX_VERSIONS_PER_MODEL) {
            revert ModelRegistryTooManyVersions(modelId, MAX_VERSIONS_PER_MODEL);
        }

        versionId = ++_versionCount;
        model.versionIds.push(versionId);
        uint32 number = uint32(model.versionIds.length);

        ModelVersion storage version = _versions[versionId];
        version.modelId = modelId;
        version.number = number;
        version.publishedAt = uint64(block.timestamp);
        version.modes = spec.modes;
        version.layerCount = spec.layerCount;
        version.programDigest = spec.programDigest;
        version.weightsRoot = spec.weightsRoot;
        version.fee = spec.fee;
        version.artifactCid = spec.artifactCid;
        version.inputShape = spec.inputShape;
        version.outputShape = spec.outputShape;

        emit ModelVersionPublished(
            modelId,
            versionId,
            number,
            spec.artifactCid,
            spec.programDigest,
            spec.weightsRoot,
            spec.modes,
            spec.fee
        );
    }

    function _validate(VersionSpec calldata spec) private pure {
        uint256 cidLength = spec.artifactCid.length;
        if (cidLength == 0 || cidLength > MAX_CID_BYTES)
            revert ModelRegistryInvalidArtifactCid(cidLength, MAX_CID_BYTES);
        if (spec.programDigest == bytes32(0)) revert ModelRegistryZeroProgramDigest();
        if (spec.weightsRoot == bytes32(0)) revert ModelRegistryZeroWeightsRoot();
        if (spec.layerCount == 0 || spec.layerCount > MAX_LAYERS) {
            revert ModelRegistryInvalidLayerCount(spec.layerCount, MAX_LAYERS);
        }
        _validateShape(spec.inputShape);
        _validateShape(spec.outputShape);
        if (!VerificationModes.isValidMask(spec.modes)) revert ModelRegistryInvalidModes(spec.modes);
        if (spec.fee > MAX_FEE) revert ModelRegistryFeeTooHigh(spec.fee, MAX_FEE);
    }

    function _validateShape(uint32[] calldata shape) private pure {
        if (shape.length == 0 || shape.length > MAX_RANK) revert ModelRegistryInvalidShape(shape.length, MAX_RANK);
        for (uint256 i = 0; i < shape.length; ++i) {
            if (shape[i] == 0) revert ModelRegistryZeroDimension(i);
        }
    }

    /// @dev prod(shape), saturated at type(uint32).max. Every dimension is at least 1 (`_validateShape`), so the
    /// product only grows, and stops at the first factor past the cap (rank <= MAX_RANK: no overflow before).
    function _elementCount(uint32[] storage shape) private view returns (uint32) {
        uint256 count = 1;
        uint256 rank = shape.length;
        for (uint256 i = 0; i < rank; ++i) {
            count *= shape[i];
            if (count > type(uint32).max) return type(uint32).max;
        }
        return uint32(count);
    }

    function _pageLength(uint256 total, uint256 offset, uint256 limit) private pure returns (uint256) {
        if (offset >= total) return 0;
        uint256 available = total - offset;
        return limit < available ? limit : available;
    }
}

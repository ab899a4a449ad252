// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IModelRegistry
/// @notice Publishers register models and their immutable versions here. A version pins exactly what a node must
/// run: the source artifact (CIDv1 of the ONNX bytes), the quantized program's digest, and the Merkle root over the
/// program's layer descriptors and weight chunks, which the one-step verifier checks weights against. The layer
/// count and the shapes that disputes rely on come from here, never from a node.
/// @dev Model and version ids are sequential and start at 1, so 0 always means "none".
interface IModelRegistry {
    /// @notice What a publisher supplies for a new version.
    /// @param artifactCid Binary CIDv1 (raw, sha2-256) of the source ONNX file.
    /// @param programDigest keccak256 of the canonical quantized program bytes.
    /// @param weightsRoot Merkle root over the program's layer descriptors and weight chunks.
    /// @param layerCount L: the number of integer steps, so the trace has states S0..SL.
    /// @param inputShape, outputShape Tensor shapes, every dimension non-zero.
    /// @param modes Bitmask of the verification modes the version supports (MODE_* constants).
    /// @param fee The fee per inference, in the staking token.
    struct VersionSpec {
        bytes artifactCid;
        bytes32 programDigest;
        bytes32 weightsRoot;
        uint32 layerCount;
        uint32[] inputShape;
        uint32[] outputShape;
        uint8 modes;
        uint256 fee;
    }

    /// @notice A published version, immutable but for its deprecation flag.
    struct ModelVersion {
        uint256 modelId;
        uint32 number;
        bool deprecated;
        uint64 publishedAt;
        uint8 modes;
        uint32 layerCount;
        bytes32 programDigest;
        bytes32 weightsRoot;
        uint256 fee;
        bytes artifactCid;
        uint32[] inputShape;
        uint32[] outputShape;
    }

    struct Model {
        address owner;
        address pendingOwner;
        string name;
        uint256[] versionIds;
    }

    // -- Events --

    event ModelPublished(uint256 indexed modelId, address indexed owner, string name);
    event ModelVersionPublished(
        uint256 indexed modelId,
        uint256 indexed versionId,
        uint32 number,
        bytes artifactCid,
        bytes32 programDigest,
        bytes32 weightsRoot,
        uint8 modes,
        uint256 fee
    );
    event ModelVersionDeprecated(uint256 indexed modelId, uint256 indexed versionId);
    event ModelOwnershipTransferStarted(uint256 indexed modelId, address indexed owner, address indexed pendingOwner);
    event ModelOwnershipTransferred(uint256 indexed modelId, address indexed previousOwner, address indexed newOwner);

    // -- Errors --

    error ModelRegistryInvalidName(uint256 length, uint256 maxLength);
    error ModelRegistryNameTaken(address owner, string name, uint256 modelId);
    error ModelRegistryInvalidArtifactCid(uint256 length, uint256 maxLength);
    error ModelRegistryZeroProgramDigest();
    error ModelRegistryZeroWeightsRoot();
    error ModelRegistryInvalidLayerCount(uint32 layerCount, uint32 maxLayers);
    error ModelRegistryInvalidShape(uint256 rank, uint256 maxRank);
    error ModelRegistryZeroDimension(uint256 index);
    error ModelRegistryInvalidModes(uint8 modes);
    error ModelRegistryFeeTooHigh(uint256 fee, uint256 maxFee);
    error ModelRegistryTooManyVersions(uint256 modelId, uint256 maxVersions);
    error ModelRegistryUnknownModel(uint256 modelId);
    error ModelRegistryUnknownVersion(uint256 versionId);
    error ModelRegistryNotModelOwner(uint256 modelId, address caller);
    error ModelRegistryNotPendingOwner(uint256 modelId, address caller);
    error ModelRegistryZeroAddress();
    error ModelRegistryAlreadyDeprecated(uint256 versionId);

    // -- Publishing --

    /// @notice Create a model named `name` owned by the caller, with `spec` as its version 1.
    /// @dev Names are unique per owner (not globally); a model always has at least one version.
    function publishModel(
        string calldata name,
        VersionSpec calldata spec
    ) external returns (uint256 modelId, uint256 versionId);

    /// @notice Publish the next version of `modelId`. Only the model's owner.
    function publishVersion(uint256 modelId, VersionSpec calldata spec) external returns (uint256 versionId);

    /// @notice Mark a version deprecated: nodes can no longer start serving it and requests for it are refused.
    /// Deprecation is final; the version's record is never edited.
    function deprecateVersion(uint256 versionId) external;

    // -- Ownership (two steps) --

    /// @notice Offer the model to `newOwner`, who must call `acceptModelOwnership`. The zero address cancels.
    function transferModelOwnership(uint256 modelId, address newOwner) external;

    function acceptModelOwnership(uint256 modelId) external;

    // -- Views --

    function getModel(uint256 modelId) external view returns (Model memory);

    function getVersion(uint256 versionId) external view returns (ModelVersion memory);

    /// @notice True when `versionId` exists and is not deprecated.
    function isActiveVersion(uint256 versionId) external view returns (bool);

    /// @notice The most recently published version of `modelId`, deprecated or not.
    function latestVersion(uint256 modelId) external view returns (uint256 versionId);

    /// @notice The model `owner` holds under `name`, or 0.
    function modelIdOf(address owner, string calldata name) external view returns (uint256);

    function modelCount() external view returns (uint256);

    function versionCount() external view returns (uint256);

    /// @notice Models `offset` .. `offset + limit - 1` (ids offset + 1 ...), clipped to what exists.
    function listModels(uint256 offset, uint256 limit) external view returns (uint256[] memory modelIds);

    /// @notice The version ids of `modelId`, oldest first, paginated like `listModels`.
    function listVersions(
        uint256 modelId,
        uint256 offset,
        uint256 limit
    ) external view returns (uint256[] memory versionIds);
}

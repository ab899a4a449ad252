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

    /// @notice What a request for a version needs of it, as `requestTerms` returns it: a fixed-size record whose
    /// layout does not depend on `ModelVersion`'s.
    /// @param active False once the version is deprecated: new requests for it are refused.
    /// @param modes Bitmask of the verification modes the version supports (MODE_* constants).
    /// @param fee The fee per inference, in the staking token (at most MAX_FEE = type(uint128).max).
    /// @param inputBytes The input's length: prod(inputShape), one byte per int8 element, saturated at
    /// type(uint32).max (no input that long fits in a transaction, so a saturated size matches none).
    /// @param outputBytes The output's length: prod(outputShape), saturated likewise.
    struct RequestTerms {
        bool active;
        uint8 modes;
        uint128 fee;
        uint32 inputBytes;
        uint32 outputBytes;
    }

    /// @notice A model: a name under its owner and the versions published under it.
    /// @param owner The account that publishes its versions and may deprecate them.
    /// @param pendingOwner The account offered the model by `transferModelOwnership`, or the zero address.
    /// @param name Unique per owner, 1 to MAX_NAME_BYTES bytes.
    /// @param versionIds The model's version ids, oldest first (never empty).
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
    /// @param name 1 to MAX_NAME_BYTES bytes, not yet used by the caller (`ModelRegistryNameTaken`).
    /// @param spec The first version, validated as by `publishVersion`.
    /// @return modelId The new model's id (sequential, from 1).
    /// @return versionId Its first version's id (sequential over all models, from 1).
    function publishModel(
        string calldata name,
        VersionSpec calldata spec
    ) external returns (uint256 modelId, uint256 versionId);

    /// @notice Publish the next version of `modelId`. Only the model's owner.
    /// @param modelId The model, owned by the caller (`ModelRegistryNotModelOwner`).
    /// @param spec The version: a 1 to MAX_CID_BYTES byte CID, non-zero digests, 1 to MAX_LAYERS layers, shapes of
    /// rank 1 to MAX_RANK with no zero dimension, a valid modes mask and a fee of at most MAX_FEE; at most
    /// MAX_VERSIONS_PER_MODEL versions per model.
    /// @return versionId The new version's id (sequential over all models, from 1).
    function publishVersion(uint256 modelId, VersionSpec calldata spec) external returns (uint256 versionId);

    /// @notice Mark a version deprecated: nodes can no longer start serving it and requests for it are refused.
    /// Deprecation is final; the version's record is never edited.
    /// @param versionId A version of a model the caller owns, not yet deprecated.
    function deprecateVersion(uint256 versionId) external;

    // -- Ownership (two steps) --

    /// @notice Offer the model to `newOwner`, who must call `acceptModelOwnership`. The zero address cancels.
    /// @param modelId A model the caller owns.
    /// @param newOwner The offered owner (replaces any earlier offer), or the zero address.
    function transferModelOwnership(uint256 modelId, address newOwner) external;

    /// @notice Take the model offered to the caller by `transferModelOwnership`. Reverts with
    /// `ModelRegistryNameTaken` when the caller already owns a model of the same name.
    /// @param modelId The model whose pending owner is the caller.
    function acceptModelOwnership(uint256 modelId) external;

    // -- Views --

    /// @notice The model `modelId` (`ModelRegistryUnknownModel` if it does not exist).
    /// @param modelId A model id.
    /// @return The model's record.
    function getModel(uint256 modelId) external view returns (Model memory);

    /// @notice The full record of `versionId` (`ModelRegistryUnknownVersion` if it does not exist).
    /// @param versionId A version id.
    /// @return The version's record, deprecated or not.
    function getVersion(uint256 versionId) external view returns (ModelVersion memory);

    /// @notice What a request for `versionId` needs: whether it is active, its modes, its fee and its input and
    /// output lengths. Cheaper than `getVersion` (no dynamic data; the sizes are computed here), and what the
    /// InferenceManager reads (once per version: versions are immutable but for deprecation).
    /// @dev A deprecated version returns `active == false` (it does not revert), so that a caller can tell it from
    /// an unknown one.
    /// @param versionId A published version (`ModelRegistryUnknownVersion` otherwise).
    /// @return terms The version's request terms.
    function requestTerms(uint256 versionId) external view returns (RequestTerms memory terms);

    /// @notice True when `versionId` exists and is not deprecated.
    /// @param versionId Any id (0 or unknown: false).
    /// @return True when the version exists and is not deprecated.
    function isActiveVersion(uint256 versionId) external view returns (bool);

    /// @notice The most recently published version of `modelId`, deprecated or not.
    /// @param modelId An existing model (`ModelRegistryUnknownModel` otherwise).
    /// @return versionId The model's newest version.
    function latestVersion(uint256 modelId) external view returns (uint256 versionId);

    /// @notice The model `owner` holds under `name`, or 0.
    /// @param owner The model's owner.
    /// @param name The model's name.
    /// @return The model id, or 0 when `owner` has no model of that name.
    function modelIdOf(address owner, string calldata name) external view returns (uint256);

    /// @notice The number of models published (also the highest model id).
    /// @return The model count.
    function modelCount() external view returns (uint256);

    /// @notice The number of versions published over all models (also the highest version id).
    /// @return The version count.
    function versionCount() external view returns (uint256);

    /// @notice Models `offset` .. `offset + limit - 1` (ids offset + 1 ...), clipped to what exists.
    /// @param offset How many models to skip.
    /// @param limit The most ids to return.
    /// @return modelIds Consecutive model ids, from `offset + 1`.
    function listModels(uint256 offset, uint256 limit) external view returns (uint256[] memory modelIds);

    /// @notice The version ids of `modelId`, oldest first, paginated like `listModels`.
    /// @param modelId An existing model (`ModelRegistryUnknownModel` otherwise).
    /// @param offset How many of its versions to skip.
    /// @param limit The most ids to return.
    /// @return versionIds The version ids, oldest first.
    function listVersions(
        uint256 modelId,
        uint256 offset,
        uint256 limit
    ) external view returns (uint256[] memory versionIds);
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IZkSettler
/// @notice The settler of ZK mode (`VerificationModes.ZK`): a ZK request assigned to a node is settled, final at
/// once, by anyone presenting a Groth16 proof that `output = program(input)` for the version's registered program.
/// The proof is checked by a verifier contract registered per model version (snarkjs' exported Groth16 verifier for
/// the circuit generated from the version's program, docs/ZK.md).
///
/// Public signals of a version's circuit, in order: the `n` input bytes, the `m` output bytes (each as the int8
/// value plus 128, i.e. `uint8(byte) ^ 0x80`), then the version's registered `weightsRoot` split into its high and
/// low 128 bits. The circuit pins the two halves to constants: a verifier built for another program's weights
/// cannot accept them, and the settler always passes the root the registry holds for the request's version. The
/// weights and the requantization constants are constants of the circuit, so the verifying key pins them.
///
/// Who registers: the version's model owner (the publisher, who already vouched for the weights root and the
/// program digest when it published the version), once per version, as versions are immutable. A registered
/// verifier can be checked by anyone: regenerate the circuit from the registered program (`verity model zk-setup`)
/// and check the setup transcript against it (`snarkjs zkey verify`). Governance can revoke a verifier (a flawed or
/// compromised setup); the owner may then register a new one.
/// @dev The trace root passed through to the manager is not proven by the circuit (ZK results are never disputed).
interface IZkSettler {
    // -- Events --

    /// @notice `owner` registered `verifier` for `versionId`.
    event VerifierRegistered(uint256 indexed versionId, address indexed verifier, address indexed owner);
    /// @notice Governance revoked the verifier of `versionId`.
    event VerifierRevoked(uint256 indexed versionId, address indexed verifier);
    /// @notice A proof for `requestId` verified and the request was settled through the inference manager.
    event ZkResultSettled(uint256 indexed requestId, uint256 indexed versionId, address indexed verifier);

    // -- Errors --

    error ZkSettlerZeroAddress();
    /// @notice `registerVerifier` by someone other than the version's model owner.
    error ZkSettlerNotModelOwner(uint256 versionId, address caller);
    /// @notice `registerVerifier` for a version that does not list ZK among its modes.
    error ZkSettlerModeNotSupported(uint256 versionId, uint8 modes);
    /// @notice `registerVerifier` with an address without code.
    error ZkSettlerNotAContract(address verifier);
    /// @notice The version already has a verifier (versions are immutable; governance can revoke it first).
    error ZkSettlerVerifierAlreadySet(uint256 versionId, address verifier);
    /// @notice The version has no verifier: it cannot be settled, nor revoked.
    error ZkSettlerNoVerifier(uint256 versionId);
    /// @notice `settle` for a request that is not a ZK-mode request.
    error ZkSettlerNotZkRequest(uint256 requestId, uint8 mode);
    /// @notice `settle` for a request that is not assigned to a node and awaiting its result (status as uint8).
    error ZkSettlerInvalidStatus(uint256 requestId, uint8 status);
    /// @notice The input does not hash to the request's input hash.
    error ZkSettlerInputMismatch(uint256 requestId, bytes32 inputHash, bytes32 expected);
    /// @notice The input or output length does not match the version's shape.
    error ZkSettlerInvalidLength(uint256 requestId, uint256 length, uint256 expected);
    /// @notice Proof word `index` is not a canonical base-field element (`value >= q`).
    error ZkSettlerProofNotCanonical(uint256 index, uint256 value);
    /// @notice The verifier rejected the proof for these public signals.
    error ZkSettlerInvalidProof(uint256 requestId, address verifier);

    // -- Verifiers --

    /// @notice Registers the Groth16 verifier of a version's circuit. The version's model owner only, once per
    /// version, for a version that supports ZK mode.
    /// @param versionId The model version.
    /// @param verifier The Groth16 verifier contract of the version's circuit (must have code).
    function registerVerifier(uint256 versionId, address verifier) external;

    /// @notice Revokes the verifier of a version: its ZK requests can no longer be settled (they time out and are
    /// refunded) until the owner registers a new one. GOVERNOR_ROLE only.
    /// @param versionId A model version with a registered verifier.
    function revokeVerifier(uint256 versionId) external;

    // -- Settlement --

    /// @notice Settles a ZK request with a proof: checks that `input` hashes to the request's input hash, builds
    /// the public signals from `input`, `output` and the version's weights root, calls the version's verifier, then
    /// `IInferenceManager.settleVerified(requestId, output, traceRoot)`, which commits and finalizes at once and
    /// credits the fee to the request's node. Anyone may submit (the node is paid whoever submits).
    /// @param requestId A ZK request assigned to a node and awaiting its result.
    /// @param input The request's input bytes S_0 (their hash is the request's input hash).
    /// @param output The output bytes S_L, of the version's output length.
    /// @param traceRoot The trace root passed on to the manager (not proven by the circuit).
    /// @param proof The Groth16 proof as 8 words: a.x, a.y, b.x[1], b.x[0], b.y[1], b.y[0], c.x, c.y (the
    /// Solidity verifier's layout, i.e. snarkjs' calldata export); each must be below the base field modulus.
    function settle(
        uint256 requestId,
        bytes calldata input,
        bytes calldata output,
        bytes32 traceRoot,
        uint256[8] calldata proof
    ) external;

    // -- Views --

    /// @notice The verifier of a version, or the zero address.
    /// @param versionId The model version.
    /// @return The registered verifier, or the zero address (none, or revoked).
    function verifierOf(uint256 versionId) external view returns (address);

    /// @notice The public signals `settle` passes to the verifier for this version, input and output.
    /// @param versionId The model version (its registered weights root ends the signals).
    /// @param input The input bytes.
    /// @param output The output bytes.
    /// @return The input bytes, then the output bytes (each `uint8(b) ^ 0x80`), then the weights root's high and low
    /// 128 bits.
    function publicSignals(
        uint256 versionId,
        bytes calldata input,
        bytes calldata output
    ) external view returns (uint256[] memory);
}

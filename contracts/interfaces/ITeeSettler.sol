// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAttestationVerifier} from "./IAttestationVerifier.sol";

/// @title ITeeSettler
/// @notice The settler of the TEE verification mode. Governance keeps an allowlist of enclave measurements (code
/// hashes); a node binds an enclave key to itself with an attestation that the pluggable `IAttestationVerifier`
/// accepts; a TEE request is then settled, final at once, by the node's enclave-key signature over the EIP-712
/// struct
/// `InferenceResult(uint256 requestId,uint256 modelVersion,bytes32 inputHash,bytes32 outputHash,bytes32 traceRoot)`
/// in the domain `("Verity TEE Settler", "1", chainId, this contract)`, so a signature replays on no other chain and
/// no other settler. Anyone holding two signatures by one enclave key for the same model version and input hash with
/// different output hashes gets the node slashed and jailed and is rewarded; the key is disabled. The request id
/// plays no part in that judgement: a reorg can give a request id another input, which an honest enclave then
/// answers with another output, and the signed input hash keeps the two signatures apart.
/// @dev Trust model (docs/TEE.md): a TEE result is trusted because the attested enclave code computed it, not
/// because stake backs it: TEE commitments lock no collateral. The stake answers only for equivocation, which the
/// enclave code never does, so a provable equivocation shows the enclave (or its key) is compromised.
/// Revoking a measurement is immediate and final: every enclave key attested for it stops settling at once, and the
/// measurement cannot be approved again (approve a new build instead).
interface ITeeSettler {
    /// @notice Where a measurement stands. Starts at `None`.
    enum MeasurementStatus {
        None,
        Approved,
        Revoked
    }

    /// @notice An enclave key bound to a node, as returned by `getEnclave`.
    /// @param node The operator the key settles for (zero: never registered).
    /// @param measurement The enclave measurement it was attested for.
    /// @param expiry The attestation's expiry (unix seconds): from then on the key cannot settle.
    /// @param disabled True once an equivocation by this key was punished: it never settles again.
    struct Enclave {
        address node;
        uint64 expiry;
        bool disabled;
        bytes32 measurement;
    }

    /// @notice One result signed by an enclave key, as presented in equivocation evidence.
    struct SignedResult {
        uint256 requestId;
        uint256 modelVersion;
        bytes32 inputHash;
        bytes32 outputHash;
        bytes32 traceRoot;
        bytes signature;
    }

    // -- Events --

    /// @notice Governance approved an enclave measurement.
    event MeasurementApproved(bytes32 indexed measurement);
    /// @notice Governance revoked an enclave measurement: every key attested for it stopped settling.
    event MeasurementRevoked(bytes32 indexed measurement);
    /// @notice Governance set the attestation verifier used by `registerEnclave`.
    event AttestationVerifierSet(address indexed verifier);
    /// @notice Governance set the amount slashed per punished equivocation.
    event EquivocationSlashSet(uint256 amount);
    /// @notice Governance set the reporter's share (ppm) of an equivocation slash.
    event EquivocationRewardSet(uint32 rewardPpm);
    /// @notice `node` bound (or renewed) `enclaveKey`, attested for `measurement` until `expiry`.
    event EnclaveRegistered(
        address indexed node,
        address indexed enclaveKey,
        bytes32 indexed measurement,
        uint64 expiry
    );
    /// @notice A TEE request was settled with a signature by `enclaveKey` (the manager emitted its own events too).
    event TeeResultSettled(
        uint256 indexed requestId,
        address indexed node,
        address indexed enclaveKey,
        bytes32 outputHash
    );
    /// @notice An equivocation by `enclaveKey` was punished: `slashed` tokens of `node`'s stake, part of them to
    /// `reporter`; the key is disabled and the node jailed (NodeRegistry's `NodeJailed`, unless it was jailed
    /// already or is no registered node).
    event EquivocationPunished(
        address indexed node,
        address indexed enclaveKey,
        address indexed reporter,
        bytes32 outputHashA,
        bytes32 outputHashB,
        uint256 slashed
    );

    // -- Errors --

    error TeeSettlerZeroAddress();
    /// @notice `approveMeasurement` of a measurement already approved or revoked (revocation is final).
    error TeeSettlerMeasurementAlreadyListed(bytes32 measurement, MeasurementStatus status);
    /// @notice The measurement is not approved (never approved, or revoked).
    error TeeSettlerMeasurementNotApproved(bytes32 measurement, MeasurementStatus status);
    /// @notice An attestation expiry in the past or further than `MAX_KEY_LIFETIME` ahead.
    error TeeSettlerInvalidExpiry(uint64 expiry, uint256 min, uint256 max);
    /// @notice The attestation verifier did not accept the attestation.
    error TeeSettlerAttestationRejected(address node, address enclaveKey, bytes32 measurement);
    /// @notice The enclave key is already bound to another node.
    error TeeSettlerEnclaveKeyTaken(address enclaveKey, address node);
    /// @notice A signature that does not recover (wrong length, high `s`, bad `v`).
    error TeeSettlerInvalidSignature();
    /// @notice The (recovered) key is bound to no node: not registered, or a signature over other fields or
    /// another domain.
    error TeeSettlerUnknownEnclaveKey(address enclaveKey);
    /// @notice The key is bound to `keyNode`, but the request is assigned to `requestNode`.
    error TeeSettlerWrongNode(uint256 requestId, address enclaveKey, address keyNode, address requestNode);
    /// @notice The key's attestation expired.
    error TeeSettlerEnclaveExpired(address enclaveKey, uint64 expiry);
    /// @notice The key was disabled after an equivocation.
    error TeeSettlerEnclaveDisabled(address enclaveKey);
    /// @notice Evidence signed by two different keys.
    error TeeSettlerSignerMismatch(address signerA, address signerB);
    /// @notice Evidence that is no equivocation: equal output hashes, or another model version or input hash (the
    /// request ids do not matter).
    error TeeSettlerNotEquivocation();
    error TeeSettlerParameterOutOfBounds(bytes32 parameter, uint256 value, uint256 min, uint256 max);

    // -- Nodes --

    /// @notice Bind `enclaveKey` to the caller (the node operator) for `measurement` until `expiry`, once the
    /// attestation verifier accepts `attestation` for exactly these fields. Calling again with the same key renews
    /// it (new expiry, new measurement). Reverts unless the measurement is approved
    /// (`TeeSettlerMeasurementNotApproved`), `block.timestamp < expiry <= block.timestamp + MAX_KEY_LIFETIME`
    /// (`TeeSettlerInvalidExpiry`), the key is not bound to another node (`TeeSettlerEnclaveKeyTaken`) nor disabled
    /// (`TeeSettlerEnclaveDisabled`), and the verifier accepts (`TeeSettlerAttestationRejected`).
    /// @param measurement The approved measurement of the enclave's code.
    /// @param enclaveKey The address of the key generated inside the enclave.
    /// @param expiry The attestation's expiry (unix seconds), at most MAX_KEY_LIFETIME ahead.
    /// @param attestation The attestation, in the attestation verifier's format.
    function registerEnclave(
        bytes32 measurement,
        address enclaveKey,
        uint64 expiry,
        bytes calldata attestation
    ) external;

    // -- Settlement --

    /// @notice Settle TEE request `requestId` with `output` and `traceRoot`, final at once: the key that signed the
    /// `InferenceResult` (request id, the request's model version and input hash, keccak256(output), traceRoot)
    /// must be bound to the request's node, not disabled, unexpired, and attested for a measurement still approved.
    /// Then calls `IInferenceManager.settleVerified` (which pays the node and calls the consumer back). Anyone may
    /// relay it. Reverts with `TeeSettlerInvalidSignature`, `TeeSettlerUnknownEnclaveKey` (also for a signature
    /// over other fields or in another domain), `TeeSettlerWrongNode`, `TeeSettlerEnclaveDisabled`,
    /// `TeeSettlerEnclaveExpired`, `TeeSettlerMeasurementNotApproved`, or the manager's errors (a request that is
    /// not an assigned TEE request, settled twice, past its deadline, wrong output length).
    /// @param requestId The TEE request.
    /// @param output The output bytes S_L.
    /// @param traceRoot The trace root over S_0..S_L.
    /// @param signature The enclave key's EIP-712 signature over the `InferenceResult`.
    function settle(uint256 requestId, bytes calldata output, bytes32 traceRoot, bytes calldata signature) external;

    /// @notice Punish an equivocation: `a` and `b` are signed by the same registered, not yet disabled, enclave key,
    /// share the model version and the input hash, and carry different output hashes; their request ids do not
    /// matter (two ids for one input is still equivocation; one id for two inputs, as after a reorg, is not). The
    /// key's node is slashed `equivocationSlash` (capped at its stake by Staking), the caller receives
    /// `equivocationRewardPpm` of the slash, the key is disabled, so one key is punished once, and the node is
    /// jailed in the NodeRegistry unless it is jailed already or not registered there (status None). Expiry and
    /// revocation do not shield a key from this. Reverts with `TeeSettlerInvalidSignature`,
    /// `TeeSettlerSignerMismatch`, `TeeSettlerNotEquivocation`, `TeeSettlerUnknownEnclaveKey`,
    /// `TeeSettlerEnclaveDisabled`, or the NodeRegistry's `AccessControlUnauthorizedAccount` when this contract
    /// lacks its SLASHER_ROLE.
    /// @param a One signed result.
    /// @param b Another signed result by the same key, for the same model version and input hash.
    /// @return slashed The amount actually slashed.
    function reportEquivocation(SignedResult calldata a, SignedResult calldata b) external returns (uint256 slashed);

    // -- Governance (GOVERNOR_ROLE) --

    /// @notice Approve an enclave measurement. Reverts if already approved or ever revoked.
    /// @param measurement The measurement (code hash) of an enclave build.
    function approveMeasurement(bytes32 measurement) external;

    /// @notice Revoke an approved measurement, at once and for good: every key attested for it stops settling.
    /// @param measurement An approved measurement.
    function revokeMeasurement(bytes32 measurement) external;

    /// @notice Set the attestation verifier that `registerEnclave` asks (keys already bound stay bound).
    /// @param verifier The new verifier (not the zero address).
    function setAttestationVerifier(IAttestationVerifier verifier) external;

    /// @notice Set the amount slashed per punished equivocation, within
    /// `[MIN_EQUIVOCATION_SLASH, MAX_EQUIVOCATION_SLASH]`.
    /// @param amount The slash, in tokens.
    function setEquivocationSlash(uint256 amount) external;

    /// @notice Set the reporter's share of an equivocation slash, at most `MAX_REWARD_PPM` (50%).
    /// @param rewardPpm The share, in parts per million.
    function setEquivocationReward(uint32 rewardPpm) external;

    // -- Views --

    /// @notice The InferenceManager this contract settles TEE requests on.
    /// @return The manager's address.
    function inferenceManager() external view returns (address);

    /// @notice The Staking contract it slashes equivocating nodes on (it needs SLASHER_ROLE there).
    /// @return The Staking contract's address.
    function staking() external view returns (address);

    /// @notice The NodeRegistry it jails equivocating nodes in (it needs SLASHER_ROLE there).
    /// @return The NodeRegistry's address.
    function nodeRegistry() external view returns (address);

    /// @notice The attestation verifier `registerEnclave` asks.
    /// @return The verifier.
    function attestationVerifier() external view returns (IAttestationVerifier);

    /// @notice The amount slashed per punished equivocation (capped at the node's stake by Staking).
    /// @return The slash, in tokens.
    function equivocationSlash() external view returns (uint256);

    /// @notice The reporter's share of an equivocation slash.
    /// @return The share, in parts per million.
    function equivocationRewardPpm() external view returns (uint32);

    /// @notice Where `measurement` stands.
    /// @param measurement The measurement.
    /// @return None (never listed), Approved or Revoked.
    function measurementStatus(bytes32 measurement) external view returns (MeasurementStatus);

    /// @notice The binding of `enclaveKey` (all zero when never registered).
    /// @param enclaveKey The enclave key's address.
    /// @return Its node, measurement, expiry and whether it is disabled.
    function getEnclave(address enclaveKey) external view returns (Enclave memory);

    /// @notice True when `enclaveKey` can settle for its node now: bound, not disabled, unexpired, measurement
    /// approved.
    /// @param enclaveKey The enclave key's address.
    /// @return Whether a signature by it would settle now.
    function isEnclaveActive(address enclaveKey) external view returns (bool);

    /// @notice The EIP-712 digest an enclave key signs for these result fields.
    /// @param requestId The request.
    /// @param modelVersion The request's model version.
    /// @param inputHash The request's input hash.
    /// @param outputHash keccak256 of the output bytes.
    /// @param traceRoot The trace root.
    /// @return The typed-data hash of `InferenceResult(...)` in this contract's domain.
    function resultDigest(
        uint256 requestId,
        uint256 modelVersion,
        bytes32 inputHash,
        bytes32 outputHash,
        bytes32 traceRoot
    ) external view returns (bytes32);
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {INodeRegistry} from "./INodeRegistry.sol";

/// @title IInferenceManager
/// @notice Inference requests with escrowed fees, node commitments, challenge windows, batch commitments and
/// settlement. A requester escrows a fee for one inference of a registered model version; an eligible node commits
/// `(outputHash, traceRoot)` and locks collateral in Staking; after the challenge window the result is final, the
/// node is credited the fee and its collateral is released. During the window the DisputeManager (DISPUTE_ROLE)
/// can freeze the commitment through `beginDispute` and resolve it through `endDispute`.
/// @dev Data conventions (fixed; the verification game depends on them):
///  - The input is the quantized int8 state S_0 as raw bytes (one byte per element, two's complement), exactly
///    `prod(version.inputShape)` bytes; `inputHash = keccak256(input)`. The output is S_L, exactly
///    `prod(version.outputShape)` bytes; `outputHash = keccak256(output)`.
///  - `commitmentHash = keccak256(abi.encode(outputHash, traceRoot))`.
///  - Batch leaf: `keccak256(abi.encode(requestId, outputHash, traceRoot))`; the batch root is the positional
///    keccak Merkle tree of docs/COMMITMENTS.md section 1 over the leaves (leaves used directly, padded with
///    bytes32(0)).
/// Lifecycle of a request: Open (no node) -> Assigned (chosen at request time, or claimed) -> Committed ->
/// [Disputed -> Committed (node right, window extended) | Rejected (node wrong)] -> Finalized. An Open or Assigned
/// request that is never served is Refunded after its deadline. A claim puts the claimant's stake at risk and lasts
/// `serveTimeout` at most: a claimed request left uncommitted past its serve deadline can be reopened by anyone
/// (Assigned -> Open, the requester's deadline unchanged), and the claimant pays the abandonment penalty.
/// Batches: Assigned -> Batched (a leaf of a committed batch) -> Finalized with its batch, or -> Committed when
/// proven individually (`proveBatchLeaf`).
/// Solvency: the token balance of this contract always equals the fees escrowed by unsettled requests plus the
/// unclaimed credits. A request settles (Finalized, Rejected or Refunded) at most once.
interface IInferenceManager {
    /// @notice Request status. Values are stable: `DisputeInfo.status` carries them as uint8.
    enum RequestStatus {
        None,
        Open,
        Assigned,
        Committed,
        Disputed,
        Finalized,
        Rejected,
        Refunded,
        Batched
    }

    enum BatchStatus {
        None,
        Committed,
        Finalized
    }

    /// @notice What the DisputeManager needs about one commitment.
    /// @param commitmentHash keccak256(abi.encode(outputHash, traceRoot)); zero before a commitment.
    /// @param windowEnd End of the challenge window (0 before a commitment). While Disputed, the window is frozen and
    /// this field holds the
    /// end it would have if the dispute ended now (the frozen remainder is added back by `endDispute`).
    /// @param status A `RequestStatus` value.
    /// @param collateral The node's stake locked for this commitment.
    struct DisputeInfo {
        address node;
        address requester;
        uint256 versionId;
        bytes32 inputHash;
        bytes32 commitmentHash;
        uint64 windowEnd;
        uint8 status;
        uint256 fee;
        uint256 collateral;
    }

    /// @notice A request as returned by `getRequest`.
    /// @param collateral The node's stake locked for this request: by its claim (while claimed and uncommitted) or
    /// by its commitment; 0 for a batch leaf (its batch holds the collateral) and once released.
    /// @param deadline The serving deadline (set at request time): after it an unserved request can be refunded.
    /// @param serveDeadline While a claim is pending (claimed, not yet committed): the time after which anyone may
    /// `reopen` the request. 0 otherwise.
    /// @param windowEnd The challenge window's end once committed (0 before).
    struct RequestView {
        address requester;
        address node;
        uint256 versionId;
        uint256 fee;
        uint256 collateral;
        uint64 deadline;
        uint64 serveDeadline;
        uint64 windowEnd;
        uint8 mode;
        RequestStatus status;
        bytes32 inputHash;
        bytes32 commitmentHash;
        address callback;
        uint32 callbackGasLimit;
    }

    /// @notice A batch commitment as returned by `getBatch`.
    /// @param idsHash keccak256(abi.encodePacked(requestIds)) of the leaves, in leaf order.
    /// @param multiplier The collateral multiplier when committed: collateral = fee * multiplier.
    /// @param feeRemaining The fees of the leaves not proven individually: what `finalizeBatch` credits the node.
    /// @param collateralRemaining Collateral still locked for those leaves.
    struct BatchView {
        address node;
        uint32 count;
        uint64 windowEnd;
        BatchStatus status;
        uint8 multiplier;
        bytes32 root;
        bytes32 idsHash;
        uint256 feeRemaining;
        uint256 collateralRemaining;
    }

    /// @notice An EIP-2612 permit signature for `requestWithPermit`.
    struct PermitSignature {
        uint256 deadline;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    // -- Events --

    /// @notice A request was made. The input is here in full: challengers read it from this event.
    /// @dev `node` is indexed (the zero address for an open request), so that a node reads only its own requests
    /// and the open ones: `eth_getLogs` with topic 3 in [node, 0].
    /// @param requestId The new request's id
    /// @param versionId The model version to run
    /// @param requester Who pays the fee
    /// @param node The node the request is assigned to, or the zero address for an open request
    /// @param fee The fee escrowed
    /// @param mode The verification mode (one VerificationModes bit)
    /// @param input The input tensor S0, in full
    event InferenceRequested(
        uint256 indexed requestId,
        uint256 versionId,
        address indexed requester,
        address indexed node,
        uint256 fee,
        uint8 mode,
        bytes input
    );
    /// @notice An eligible node took an open request, locking `collateral` of its stake; unless it commits first,
    /// anyone may reopen the request after `serveDeadline`.
    event RequestClaimed(uint256 indexed requestId, address indexed node, uint64 serveDeadline, uint256 collateral);
    /// @notice The claim of `node` was dropped uncommitted (`reopen`: the request is Open again; `refund`: it is
    /// refunded): `collateral` was released and `penalty` slashed from its stake (half to the requester).
    event ClaimAbandoned(uint256 indexed requestId, address indexed node, uint256 collateral, uint256 penalty);
    /// @notice The node committed its result and locked `collateral`; the window ends at `windowEnd`.
    event ResultCommitted(
        uint256 indexed requestId,
        address indexed node,
        bytes32 outputHash,
        bytes32 traceRoot,
        bytes output
    );
    /// @notice A node committed a batch root over `count` leaves whose fees total `fee`. The leaves themselves are
    /// in this transaction's calldata.
    event BatchCommitted(
        uint256 indexed batchId,
        address indexed node,
        bytes32 root,
        uint32 count,
        uint256 fee,
        uint256 collateral,
        uint64 windowEnd
    );
    /// @notice A batch leaf was proven against its root and now stands as an individual commitment.
    event BatchLeafProven(
        uint256 indexed batchId,
        uint256 indexed requestId,
        uint256 index,
        bytes32 outputHash,
        bytes32 traceRoot,
        uint256 collateral
    );
    /// @notice A batch settled: its leaves not proven individually are Finalized, `paid` was credited to the node
    /// and `unlocked` collateral released.
    event BatchFinalized(uint256 indexed batchId, address indexed node, uint256 paid, uint256 unlocked);
    /// @notice The request is final: the node was credited `fee` and `collateral` was released.
    event RequestFinalized(uint256 indexed requestId, address indexed node, uint256 fee, uint256 collateral);
    /// @notice The consumer callback ran (`success`) or failed; settlement happened either way.
    event CallbackExecuted(uint256 indexed requestId, address indexed callback, bool success);
    /// @notice An unserved request was refunded: `fee` was credited to the requester.
    event RequestRefunded(uint256 indexed requestId, address indexed requester, uint256 fee);
    event DisputeBegun(uint256 indexed requestId);
    /// @notice A dispute ended. `nodeWrong`: the request is Rejected and `collateral` is returned for slashing;
    /// otherwise it is Committed again with its window ending at `windowEnd`.
    event DisputeEnded(uint256 indexed requestId, bool nodeWrong, uint64 windowEnd, uint256 collateral);
    event CreditsClaimed(address indexed account, uint256 amount);
    event ChallengeWindowSet(uint32 challengeWindow);
    event RequestTimeoutSet(uint32 requestTimeout);
    event CollateralMultiplierSet(uint8 collateralMultiplier);
    event MaxCallbackGasSet(uint32 maxCallbackGas);
    event ServeTimeoutSet(uint32 serveTimeout);
    /// @notice Governance set (or, with the zero address, removed) the settler contract of a verified mode.
    event ModeSettlerSet(uint8 indexed mode, address settler);

    // -- Errors --

    error InferenceManagerZeroAddress();
    error InferenceManagerVersionNotActive(uint256 versionId);
    error InferenceManagerUnsupportedMode(uint256 versionId, uint8 mode);
    error InferenceManagerFeeTooLow(uint256 fee, uint256 minimumFee);
    error InferenceManagerFeeTooHigh(uint256 fee, uint256 maximumFee);
    error InferenceManagerInvalidInputLength(uint256 length, uint256 expected);
    error InferenceManagerInvalidOutputLength(uint256 length, uint256 expected);
    error InferenceManagerNodeNotEligible(address node, uint256 versionId);
    error InferenceManagerCallbackGasTooHigh(uint32 gasLimit, uint32 maxCallbackGas);
    error InferenceManagerUnknownRequest(uint256 requestId);
    error InferenceManagerInvalidStatus(uint256 requestId, RequestStatus status);
    error InferenceManagerNotAssignedNode(uint256 requestId, address caller);
    /// @notice A node that left (Exited) or is not registered does not commit (a Jailed node still commits what it was
    /// assigned before its jail).
    error InferenceManagerNodeInactive(address node, INodeRegistry.NodeStatus status);
    /// @notice `reopen` of an Assigned request whose node the requester chose: there is no claim to drop.
    error InferenceManagerNotClaimed(uint256 requestId);
    /// @notice `reopen` by someone other than the claimant before the claim's serve deadline.
    error InferenceManagerClaimNotExpired(uint256 requestId, uint64 serveDeadline);
    error InferenceManagerDeadlinePassed(uint256 requestId, uint64 deadline);
    error InferenceManagerDeadlineNotPassed(uint256 requestId, uint64 refundableAt);
    error InferenceManagerWindowOpen(uint256 requestId, uint64 windowEnd);
    error InferenceManagerWindowClosed(uint256 requestId, uint64 windowEnd);
    error InferenceManagerNotDisputable(uint256 requestId, uint8 mode);
    error InferenceManagerCommitmentMismatch(uint256 requestId);
    /// @notice `finalize` was sent with too little gas to forward the callback's full gas limit.
    error InferenceManagerInsufficientGas(uint256 needed, uint256 left);
    error InferenceManagerNothingToClaim(address account);
    error InferenceManagerInvalidBatch(uint256 count, uint256 maxCount);
    error InferenceManagerBatchLengthMismatch();
    error InferenceManagerBatchNotSorted(uint256 index);
    /// @notice Leaf `index` is not an Assigned request of the caller without a callback and outside any batch.
    error InferenceManagerInvalidBatchLeaf(uint256 index, uint256 requestId);
    error InferenceManagerUnknownBatch(uint256 batchId);
    error InferenceManagerBatchNotCommitted(uint256 batchId, BatchStatus status);
    error InferenceManagerBatchIdsMismatch(uint256 batchId);
    error InferenceManagerInvalidBatchProof(uint256 batchId, uint256 index);
    /// @notice `settleVerified` from an address that is not the settler of the request's mode, a TEE or ZK request
    /// committed through `commit`, or `setModeSettler` for a mode other than TEE or ZK.
    error InferenceManagerNotModeSettler(uint8 mode, address caller);
    error InferenceManagerParameterOutOfBounds(bytes32 parameter, uint256 value, uint256 min, uint256 max);

    // -- Requests --

    /// @notice Request one inference of `versionId` on `input`, escrowing `fee` tokens from the caller.
    /// @param versionId An active model version: otherwise `InferenceManagerVersionNotActive` (or, for a request
    /// naming its node once the version is cached, `InferenceManagerNodeNotEligible`).
    /// @param input The quantized input S_0, exactly `prod(version.inputShape)` bytes (emitted, hashed, not stored).
    /// @param fee At least the version's fee, at most `MAX_FEE`; transferred in with SafeERC20 (needs approval).
    /// @param node A chosen node (must be eligible now), or the zero address for an open request that any eligible
    /// node may `claim`.
    /// @param mode One verification mode bit the version supports. OPTIMISTIC and NONE are committed here (NONE
    /// commitments have no challenge window); TEE and ZK need a settler set for the mode (`setModeSettler`) and
    /// settle through it, final at once. Otherwise `InferenceManagerUnsupportedMode`.
    /// @param callback An `IInferenceConsumer` called on finalization, or the zero address.
    /// @param callbackGasLimit Gas forwarded to the callback, at most `maxCallbackGas`.
    /// @return requestId Sequential, starting at 1.
    function request(
        uint256 versionId,
        bytes calldata input,
        uint256 fee,
        address node,
        uint8 mode,
        address callback,
        uint32 callbackGasLimit
    ) external returns (uint256 requestId);

    /// @notice `request`, with an EIP-2612 permit for the fee instead of a prior approval.
    /// @dev A permit that fails (already used by a front-runner, expired) is ignored: the request then relies on the
    /// allowance, and reverts as `request` would without one.
    /// @param versionId As for `request`.
    /// @param input As for `request`.
    /// @param fee As for `request`; also the permit's value.
    /// @param node As for `request`.
    /// @param mode As for `request`.
    /// @param callback As for `request`.
    /// @param callbackGasLimit As for `request`.
    /// @param permit The caller's EIP-2612 signature allowing this contract to spend `fee`.
    /// @return requestId Sequential, starting at 1.
    function requestWithPermit(
        uint256 versionId,
        bytes calldata input,
        uint256 fee,
        address node,
        uint8 mode,
        address callback,
        uint32 callbackGasLimit,
        PermitSignature calldata permit
    ) external returns (uint256 requestId);

    /// @notice Take an Open request, first come first served, before its deadline. The caller must be eligible for
    /// its version. Locks `fee * collateralMultiplier` of the caller's stake in every mode (the multiplier is
    /// snapshotted here; `StakingInsufficientFreeStake` when the free stake does not cover it) and sets the serve
    /// deadline `min(deadline, now + serveTimeout)`. An OPTIMISTIC commitment keeps that collateral (nothing more is
    /// locked); a NONE, TEE or ZK one releases it. Uncommitted past the serve deadline, the claim can be dropped by
    /// anyone with `reopen`, at the claimant's cost.
    /// @param requestId An Open request, before its deadline.
    function claim(uint256 requestId) external;

    /// @notice Drop a claim that was not honoured: a claimed request still Assigned (uncommitted, in no batch) after
    /// its serve deadline goes back to Open with the requester's deadline unchanged, so that another node can claim
    /// it. Anyone may call after the serve deadline (`InferenceManagerClaimNotExpired` before), the claimant at any
    /// time (to give a claim up early). The claimant's collateral is released less the abandonment penalty, one fee,
    /// slashed from its stake: half to the requester, the rest to the Staking treasury (or burned). Emits
    /// `ClaimAbandoned`. Reverts with `InferenceManagerInvalidStatus` unless the request is Assigned, and with
    /// `InferenceManagerNotClaimed` when the requester chose its node.
    /// @dev An abandoned claim thus costs its claimant one fee and holds the request for `serveTimeout` at most.
    /// @param requestId A claimed request, still Assigned.
    function reopen(uint256 requestId) external;

    /// @notice Commit the result of an Assigned OPTIMISTIC or NONE request: assigned node only, while Active or
    /// Exiting in the NodeRegistry (`InferenceManagerNodeInactive` once it has Exited or while Jailed), before the
    /// deadline (TEE and ZK requests revert with `InferenceManagerNotModeSettler`: they settle through
    /// `settleVerified`). A claimed request may still be committed after its serve deadline, until someone reopens
    /// it. Locks `fee * collateralMultiplier` of the node's stake (none in NONE mode; for a claimed request, the
    /// claim's collateral stands instead) and opens the challenge window.
    /// @param requestId An Assigned OPTIMISTIC or NONE request of the caller.
    /// @param output S_L, exactly `prod(version.outputShape)` bytes (emitted, not stored).
    /// @param traceRoot The root over the execution trace's states (docs/COMMITMENTS.md), which a dispute bisects.
    function commit(uint256 requestId, bytes calldata output, bytes32 traceRoot) external;

    /// @notice Commit and finalize, at once, a TEE or ZK request whose result the mode's settler contract verified
    /// (an enclave signature, a proof). Settler of the request's mode only (`InferenceManagerNotModeSettler`); the
    /// request must be Assigned and inside its deadline, its node not Exited, and `output` of the version's
    /// output length, as for `commit`. No collateral is locked (a claim's is released): the fee is credited to the
    /// assigned node, `ResultCommitted` and `RequestFinalized` are emitted, and the consumer (if any) is called as in
    /// `finalize`.
    /// @param requestId An Assigned request of the settler's mode.
    /// @param output S_L, of the version's output length (emitted, and handed to the consumer).
    /// @param traceRoot The trace root, as for `commit`.
    function settleVerified(uint256 requestId, bytes calldata output, bytes32 traceRoot) external;

    /// @notice Settle a Committed request once its window has passed: credit the fee to the node, release the
    /// collateral, then call the consumer (if any) with at most its gas limit. Anyone may call.
    /// @param requestId A Committed request whose window has ended.
    /// @param output Needed only when the request has a callback (checked with `traceRoot` against the commitment,
    /// and handed to the consumer); ignored otherwise (pass empty bytes).
    /// @param traceRoot Needed only when the request has a callback; ignored otherwise (pass zero).
    /// @dev The callback is a low-level call that copies no return data; its failure emits
    /// `CallbackExecuted(.., false)` and never reverts settlement.
    function finalize(uint256 requestId, bytes calldata output, bytes32 traceRoot) external;

    /// @notice Credit the fee back to the requester of an unserved request (Open, or Assigned and in no batch)
    /// after its deadline. Anyone may call. A claim still pending is dropped as by `reopen` (its collateral released
    /// less the abandonment penalty, `ClaimAbandoned`).
    /// @param requestId An Open request, or an Assigned one in no batch, past its deadline.
    function refund(uint256 requestId) external;

    // -- Batches --

    /// @notice Commit one Merkle root over the results of many of the caller's Assigned requests (no callbacks, in
    /// no other batch, ids strictly increasing), with collateral locked once: the sum of the OPTIMISTIC leaves' fees
    /// times `collateralMultiplier` (NONE leaves lock nothing, as single NONE commitments). The collateral the
    /// claimed leaves' claims locked counts toward it: only the difference is locked (or released). The caller must
    /// not be Exited (`InferenceManagerNodeInactive`). The requests become Batched: neither committable
    /// individually, refundable nor reopenable.
    /// @dev Data availability: the leaves `(requestId, outputHash, traceRoot)` are calldata of this transaction, so
    /// anyone can rebuild the tree and every proof during the window. The outputs themselves are delivered
    /// off-chain by the node (its endpoint); since execution is deterministic, anyone holding the input (from
    /// `InferenceRequested`) and the registered program can recompute an output and dispute a leaf whose
    /// outputHash differs. A requester that never receives its output loses nothing it could not recompute.
    /// Deadlines are not checked per leaf: a node may batch a late request that was not refunded yet.
    /// @param requestIds The leaves' request ids, strictly increasing, 1 to MAX_BATCH_SIZE of them.
    /// @param outputHashes keccak256 of each leaf's output, in the same order.
    /// @param traceRoots Each leaf's trace root, in the same order.
    /// @return batchId Sequential, starting at 1.
    function commitBatch(
        uint256[] calldata requestIds,
        bytes32[] calldata outputHashes,
        bytes32[] calldata traceRoots
    ) external returns (uint256 batchId);

    /// @notice Turn a leaf of a Committed batch into an individual commitment (status Committed, the batch's
    /// window end), so that it can be disputed through the per-request path. Anyone may call, inside the batch's
    /// window only (`InferenceManagerWindowClosed` after it). The leaf's fee and collateral move from the batch to
    /// the request, which then settles through `finalize` or the dispute hooks.
    /// @param batchId A Committed batch.
    /// @param index The leaf's position in the batch (0-based).
    /// @param requestId The leaf's request id.
    /// @param outputHash The leaf's output hash.
    /// @param traceRoot The leaf's trace root.
    /// @param proof The sibling hashes from the leaf up to the batch root (docs/COMMITMENTS.md section 1).
    function proveBatchLeaf(
        uint256 batchId,
        uint256 index,
        uint256 requestId,
        bytes32 outputHash,
        bytes32 traceRoot,
        bytes32[] calldata proof
    ) external;

    /// @notice Settle a batch after its window: every leaf not proven individually becomes Finalized (one bit each
    /// in a bitmap), the node is credited their fees once and the batch's remaining collateral is released. Anyone
    /// may call.
    /// @param batchId A Committed batch whose window has ended.
    /// @param requestIds The batch's request ids, in leaf order (checked against the committed ids hash).
    function finalizeBatch(uint256 batchId, uint256[] calldata requestIds) external;

    // -- Credits --

    /// @notice Transfer all of the caller's credits to the caller (`InferenceManagerNothingToClaim` when none).
    /// @return amount The tokens transferred.
    function claimCredits() external returns (uint256 amount);

    // -- Dispute hooks (DISPUTE_ROLE) --

    /// @notice What the DisputeManager needs about the commitment of `requestId` (a view; anyone may call).
    /// @param requestId Any request id (all zero for an unknown one).
    /// @return The request's node, requester, version, input hash, commitment, window end, status, fee and
    /// collateral.
    function disputeInfo(uint256 requestId) external view returns (DisputeInfo memory);

    /// @notice Freeze a Committed OPTIMISTIC request inside its window (`block.timestamp < windowEnd`): status
    /// Disputed, finalization blocked. Reverts with `InferenceManagerInvalidStatus`, `InferenceManagerWindowClosed`
    /// or `InferenceManagerNotDisputable` otherwise.
    /// @param requestId A Committed OPTIMISTIC request inside its window.
    function beginDispute(uint256 requestId) external;

    /// @notice Resolve a Disputed request. `nodeWrong`: status Rejected, the fee credited back to the requester,
    /// the collateral unlocked in Staking and returned, for the DisputeManager to `slash`. Otherwise: status
    /// Committed, the window end extended by the dispute's duration, 0 returned.
    /// @param requestId A Disputed request.
    /// @param nodeWrong True when the dispute proved the node's result wrong.
    /// @return collateralToSlash The collateral released for slashing (0 when the node was right).
    function endDispute(uint256 requestId, bool nodeWrong) external returns (uint256 collateralToSlash);

    // -- Governance (GOVERNOR_ROLE) --

    /// @notice How long a commitment stays open to disputes (applies to commitments made from now on).
    /// Emits `ChallengeWindowSet`.
    /// @param challengeWindow Seconds, within [MIN_CHALLENGE_WINDOW, MAX_CHALLENGE_WINDOW]
    /// (`InferenceManagerParameterOutOfBounds` otherwise).
    function setChallengeWindow(uint32 challengeWindow) external;

    /// @notice How long a request may wait to be served before it can be refunded (applies to new requests). Emits
    /// `RequestTimeoutSet`.
    /// @param requestTimeout Seconds, within [MIN_REQUEST_TIMEOUT, MAX_REQUEST_TIMEOUT].
    function setRequestTimeout(uint32 requestTimeout) external;

    /// @notice Collateral per commitment = fee * multiplier (snapshotted per request at claim or commit time).
    /// Emits `CollateralMultiplierSet`.
    /// @param collateralMultiplier Within [MIN_COLLATERAL_MULTIPLIER, MAX_COLLATERAL_MULTIPLIER].
    function setCollateralMultiplier(uint8 collateralMultiplier) external;

    /// @notice The most gas a requester may reserve for its consumer callback (applies to new requests). Emits
    /// `MaxCallbackGasSet`.
    /// @param maxCallbackGas Gas, within [MIN_MAX_CALLBACK_GAS, MAX_MAX_CALLBACK_GAS].
    function setMaxCallbackGas(uint32 maxCallbackGas) external;

    /// @notice How long a claim holds an open request before anyone may `reopen` it (snapshotted per claim). Emits
    /// `ServeTimeoutSet`.
    /// @param serveTimeout Seconds, within [MIN_SERVE_TIMEOUT, MAX_SERVE_TIMEOUT].
    function setServeTimeout(uint32 serveTimeout) external;

    /// @notice Set the settler contract of a verified mode (TEE or ZK; `InferenceManagerNotModeSettler` for any
    /// other mode), or the zero address to stop new requests in that mode. Requests already made in the mode settle
    /// only through the settler current at settlement time, or are refunded after their deadline.
    /// @param mode VerificationModes.TEE or VerificationModes.ZK.
    /// @param settler The mode's settler contract, or the zero address.
    function setModeSettler(uint8 mode, address settler) external;

    // -- Views --

    /// @notice A request, with its status as `statusOf` reads it.
    /// @param requestId Any request id (all zero, status None, for an unknown one).
    /// @return The request's parties, terms, deadlines, status, hashes and callback.
    function getRequest(uint256 requestId) external view returns (RequestView memory);

    /// @notice A batch commitment.
    /// @param batchId Any batch id (all zero, status None, for an unknown one).
    /// @return The batch's node, size, window end, status, multiplier, root, ids hash and remainders.
    function getBatch(uint256 batchId) external view returns (BatchView memory);

    /// @notice The status of a request; a batch leaf reads Batched, then Finalized with its batch.
    /// @param requestId Any request id (None for an unknown one).
    /// @return The request's status.
    function statusOf(uint256 requestId) external view returns (RequestStatus);

    /// @notice The unclaimed credits of `account`: fees earned by a node, fees returned to a requester.
    /// @param account Any address.
    /// @return The tokens `claimCredits` would transfer to it.
    function credits(address account) external view returns (uint256);

    /// @notice The number of requests made (also the highest request id).
    /// @return The request count.
    function requestCount() external view returns (uint256);

    /// @notice The number of batches committed (also the highest batch id).
    /// @return The batch count.
    function batchCount() external view returns (uint256);

    /// @notice The current challenge window (`setChallengeWindow`).
    /// @return Seconds.
    function challengeWindow() external view returns (uint32);

    /// @notice The current request timeout (`setRequestTimeout`).
    /// @return Seconds.
    function requestTimeout() external view returns (uint32);

    /// @notice The current collateral multiplier (`setCollateralMultiplier`).
    /// @return Collateral per commitment, in fees.
    function collateralMultiplier() external view returns (uint8);

    /// @notice The current cap on a callback's gas limit (`setMaxCallbackGas`).
    /// @return Gas.
    function maxCallbackGas() external view returns (uint32);

    /// @notice The current serve timeout of a claim (`setServeTimeout`).
    /// @return Seconds.
    function serveTimeout() external view returns (uint32);

    /// @notice The settler contract of a verified mode (`setModeSettler`).
    /// @param mode A verification mode.
    /// @return The settler, or the zero address while the mode is disabled (always, for OPTIMISTIC and NONE).
    function modeSettler(uint8 mode) external view returns (address);

    /// @notice The token fees are paid in (Staking's token).
    /// @return The ERC20 token's address.
    function token() external view returns (address);
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";
import {IInferenceManager} from "../interfaces/IInferenceManager.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {IStaking} from "../interfaces/IStaking.sol";
import {MerkleLib} from "../libraries/MerkleLib.sol";
import {InferenceLib} from "./InferenceLib.sol";
import {VerificationModes} from "../libraries/VerificationModes.sol";

/// @title InferenceManager
/// @notice Requests, commitments, batch commitments and settlement of Verity inferences (see IInferenceManager).
/// @dev Storage per request (gas is the design constraint: commit <= 70k before the node-status check of F2, which
/// adds ~5.8k (see `_checkCommitter`; the output length copied into `Terms` takes 1.7k back: 73.2k in
/// bench/inference.ts), request + commit + finalize small, batch settlement <= 5k per leaf):
///  - slot 0 `Core`: node, fee (uint80), status, flags (mode | CLAIMED_FLAG | CALLBACK_FLAG). Everything
///    `commitBatch` checks per leaf is in this one slot (one cold SLOAD per leaf; a claimed leaf also reads slot 1).
///  - slot 1 `Terms`: requester, versionId, `time` (the deadline until committed, then the window end; while
///    Disputed, the window remainder frozen at `beginDispute`), the collateral multiplier snapshotted at claim or
///    commit, and the version's output length (when under 2^16) so that `commit` need not read the version cache.
///  - slot 2 inputHash; slot 3 the commitment hash. `request` writes slot 3 with a placeholder so that `commit`
///    rewrites a non-zero slot: the requester prepays the commitment's storage, as it pays the node's fee. While a
///    claim is pending (CLAIMED_FLAG, not committed), slot 3 holds its serve deadline instead: `claim` rewrites a
///    non-zero slot (5k gas) rather than a fresh one (22k), and `commit`, which overwrites it, reads nothing more.
///  - slot 4 the callback, written only when there is one.
/// Claims (finding F3): a claim locks fee x multiplier of the claimant's stake in every mode and lasts at most
/// `serveTimeout`; after it anyone may `reopen` the request, and the claimant pays one fee (InferenceLib `_abandon`).
/// A batch leaf keeps its stored status Assigned: `commitBatch` sets its bit in `_batched` (status Batched) and
/// `finalizeBatch` its bit in `_batchSettled` (status Finalized), one SSTORE per 256 consecutive ids instead of
/// one per request; `_status` derives the status from the bits.
contract InferenceManager is IInferenceManager, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    string public constant VERSION = "0.1.0";

    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");
    /// @notice Held by the DisputeManager: freezes and resolves commitments.
    bytes32 public constant DISPUTE_ROLE = keccak256("DISPUTE_ROLE");

    /// @notice The largest fee one request can escrow (fees are stored as uint80: ~1.2M tokens of 18 decimals).
    uint256 public constant MAX_FEE = type(uint80).max;
    /// @notice The most leaves one batch commitment may hold.
    uint256 public constant MAX_BATCH_SIZE = 1024;

    // The bounds are InferenceLib's, where the setters check them (`InferenceLib.setParameter`).
    uint32 public constant MIN_CHALLENGE_WINDOW = InferenceLib.MIN_CHALLENGE_WINDOW; // 10 seconds
    uint32 public constant MAX_CHALLENGE_WINDOW = InferenceLib.MAX_CHALLENGE_WINDOW; // 7 days
    uint32 private constant _DEFAULT_CHALLENGE_WINDOW = 1 hours;
    uint32 public constant MIN_REQUEST_TIMEOUT = InferenceLib.MIN_REQUEST_TIMEOUT; // 1 minute
    uint32 public constant MAX_REQUEST_TIMEOUT = InferenceLib.MAX_REQUEST_TIMEOUT; // 7 days
    uint32 private constant _DEFAULT_REQUEST_TIMEOUT = 1 hours;
    /// @notice Collateral = fee * multiplier: a node risks at least its fee (multiplier >= 1) and at most 100 times.
    uint8 public constant MIN_COLLATERAL_MULTIPLIER = InferenceLib.MIN_COLLATERAL_MULTIPLIER; // 1
    uint8 public constant MAX_COLLATERAL_MULTIPLIER = InferenceLib.MAX_COLLATERAL_MULTIPLIER; // 100
    uint8 private constant _DEFAULT_COLLATERAL_MULTIPLIER = 10;
    uint32 public constant MIN_MAX_CALLBACK_GAS = InferenceLib.MIN_MAX_CALLBACK_GAS; // 10,000
    uint32 public constant MAX_MAX_CALLBACK_GAS = InferenceLib.MAX_MAX_CALLBACK_GAS; // 5,000,000
    uint32 private constant _DEFAULT_MAX_CALLBACK_GAS = 500_000;
    /// @notice How long a claim holds an open request: long enough to execute and get a commitment mined (30 s),
    /// short enough that a griefer's claims delay a request by at most a day. Stored as uint24 (< 2^24 s).
    uint32 public constant MIN_SERVE_TIMEOUT = InferenceLib.MIN_SERVE_TIMEOUT; // 30 seconds
    uint32 public constant MAX_SERVE_TIMEOUT = InferenceLib.MAX_SERVE_TIMEOUT; // 1 day
    uint24 private constant _DEFAULT_SERVE_TIMEOUT = 5 minutes;

    /// @dev Gas kept back when forwarding `callbackGasLimit` (the 1/64 rule and the call's own cost).
    uint256 private constant _CALLBACK_GAS_MARGIN = 10_000;
    uint8 private constant _MODE_MASK = 0x0f;
    /// @dev Written into the commitment slot at request time (see the contract's @dev).
    bytes32 private constant _COMMITMENT_PLACEHOLDER = bytes32(uint256(1));

    /// @dev The arguments of `request`, grouped to keep the stack shallow.
    struct NewRequest {
        uint256 versionId;
        uint256 fee;
        address node;
        uint8 mode;
        address callback;
        uint32 callbackGasLimit;
    }

    IERC20 private immutable _token;
    IStaking public immutable staking;
    IModelRegistry public immutable modelRegistry;
    INodeRegistry public immutable nodeRegistry;

    InferenceLib.Params private _params;
    mapping(uint256 requestId => InferenceLib.Request request) private _requests;
    mapping(uint256 versionId => InferenceLib.VersionInfo info) private _versions;
    mapping(uint256 batchId => InferenceLib.Batch batch) private _batches;
    /// @dev Bit `id & 255` of word `id >> 8`: the request is a leaf of a batch (set by `commitBatch`).
    mapping(uint256 word => uint256 bits) private _batched;
    /// @dev Same layout: the leaf's batch was finalized (set by `finalizeBatch`).
    mapping(uint256 word => uint256 bits) private _batchSettled;
    mapping(address account => uint256 amount) private _credits;
    /// @dev The settler contract of each verified mode (TEE, ZK); zero while the mode is disabled.
    mapping(uint8 mode => address settler) private _settlers;

    constructor(IStaking staking_, IModelRegistry modelRegistry_, INodeRegistry nodeRegistry_, address governor) {
        if (
            address(staking_) == address(0) ||
            address(modelRegistry_) == address(0) ||
            address(nodeRegistry_) == address(0) ||
            governor == address(0)
        ) revert InferenceManagerZeroAddress();
        staking = staking_;
        modelRegistry = modelRegistry_;
        nodeRegistry = nodeRegistry_;
        _token = IERC20(staking_.token());
        _grantRole(DEFAULT_ADMIN_ROLE, governor);
        _grantRole(GOVERNOR_ROLE, governor);
        _params = InferenceLib.Params({
            challengeWindow: _DEFAULT_CHALLENGE_WINDOW,
            requestTimeout: _DEFAULT_REQUEST_TIMEOUT,
            collateralMultiplier: _DEFAULT_COLLATERAL_MULTIPLIER,
            maxCallbackGas: _DEFAULT_MAX_CALLBACK_GAS,
            requestCount: 0,
            batchCount: 0,
            serveTimeout: _DEFAULT_SERVE_TIMEOUT
        });
        emit ChallengeWindowSet(_DEFAULT_CHALLENGE_WINDOW);
        emit RequestTimeoutSet(_DEFAULT_REQUEST_TIMEOUT);
        emit CollateralMultiplierSet(_DEFAULT_COLLATERAL_MULTIPLIER);
        emit MaxCallbackGasSet(_DEFAULT_MAX_CALLBACK_GAS);
        emit ServeTimeoutSet(_DEFAULT_SERVE_TIMEOUT);
    }

    // -- Requests --

    /// @inheritdoc IInferenceManager
    function request(
        uint256 versionId,
        bytes calldata input,
        uint256 fee,
        address node,
        uint8 mode,
        address callback,
        uint32 callbackGasLimit
    ) external nonReentrant returns (uint256 requestId) {
        requestId = _request(NewRequest(versionId, fee, node, mode, callback, callbackGasLimit), input);
    }

    /// @inheritdoc IInferenceManager
    function requestWithPermit(
        uint256 versionId,
        bytes calldata input,
        uint256 fee,
        address node,
        uint8 mode,
        address callback,
        uint32 callbackGasLimit,
        PermitSignature calldata permit
    ) external nonReentrant returns (uint256 requestId) {
        // A front-run permit (same signature already used) must not block the request: try it, then rely on the
        // allowance, as OpenZeppelin recommends for permit-based entry points.
        try
            IERC20Permit(address(_token)).permit(
                msg.sender,
                address(this),
                fee,
                permit.deadline,
                permit.v,
                permit.r,
                permit.s
            )
        {} catch {} // solhint-disable-line no-empty-blocks
        requestId = _request(NewRequest(versionId, fee, node, mode, callback, callbackGasLimit), input);
    }

    /// @inheritdoc IInferenceManager
    function claim(uint256 requestId) external {
        InferenceLib.Request storage r = _requests[requestId];
        InferenceLib.Core memory core = r.core;
        if (core.status != RequestStatus.Open) revert InferenceManagerInvalidStatus(requestId, core.status);
        InferenceLib.Terms memory terms = r.terms;
        if (block.timestamp > terms.time) revert InferenceManagerDeadlinePassed(requestId, terms.time);
        if (!nodeRegistry.isEligible(msg.sender, terms.versionId)) {
            revert InferenceManagerNodeNotEligible(msg.sender, terms.versionId);
        }
        InferenceLib.Params memory params = _params;
        uint40 serveDeadline = uint40(block.timestamp) + params.serveTimeout;
        if (serveDeadline > terms.time) serveDeadline = terms.time;
        core.node = msg.sender;
        core.status = RequestStatus.Assigned;
        core.flags |= InferenceLib.CLAIMED_FLAG;
        r.core = core;
        // The claim's multiplier stands for the commitment too, so that `commit` never locks twice.
        terms.multiplier = params.collateralMultiplier;
        r.terms = terms;
        r.commitment = bytes32(uint256(serveDeadline));
        // Any mode: the claim itself is what an abandoned claim costs (see `reopen`). A fee is at least 1 and the
        // multiplier at least 1, so the amount is never 0.
        uint256 collateral = uint256(core.fee) * params.collateralMultiplier;
        staking.lock(msg.sender, collateral);
        emit RequestClaimed(requestId, msg.sender, serveDeadline, collateral);
    }

    /// @inheritdoc IInferenceManager
    function reopen(uint256 requestId) external nonReentrant {
        InferenceLib.reopen(_requests, _batched, _batchSettled, staking, requestId);
    }

    /// @inheritdoc IInferenceManager
    function commit(uint256 requestId, bytes calldata output, bytes32 traceRoot) external {
        bytes32 outputHash = keccak256(output);
        _commit(requestId, output.length, outputHash, traceRoot, false);
        emit ResultCommitted(requestId, msg.sender, outputHash, traceRoot, output);
    }

    /// @inheritdoc IInferenceManager
    function settleVerified(uint256 requestId, bytes calldata output, bytes32 traceRoot) external nonReentrant {
        InferenceLib.Request storage r = _requests[requestId];
        uint8 mode = r.core.flags & _MODE_MASK;
        if (msg.sender != _settlers[mode] || !VerificationModes.isVerified(mode)) {
            revert InferenceManagerNotModeSettler(mode, msg.sender);
        }
        bytes32 outputHash = keccak256(output);
        InferenceLib.Core memory core = _commit(requestId, output.length, outputHash, traceRoot, true);
        core.status = RequestStatus.Finalized;
        r.core = core;
        _credits[core.node] += core.fee;
        emit ResultCommitted(requestId, core.node, outputHash, traceRoot, output);
        emit RequestFinalized(requestId, core.node, core.fee, 0);
        if (core.flags & InferenceLib.CALLBACK_FLAG != 0) _callConsumer(requestId, r.callback, output, outputHash);
    }

    /// @inheritdoc IInferenceManager
    function finalize(uint256 requestId, bytes calldata output, bytes32 traceRoot) external nonReentrant {
        InferenceLib.Request storage r = _requests[requestId];
        InferenceLib.Core memory core = r.core;
        if (core.status != RequestStatus.Committed) revert InferenceManagerInvalidStatus(requestId, core.status);
        InferenceLib.Terms memory terms = r.terms;
        if (block.timestamp < terms.time) revert InferenceManagerWindowOpen(requestId, terms.time);
        bytes32 outputHash;
        bool hasCallback = core.flags & InferenceLib.CALLBACK_FLAG != 0;
        if (hasCallback) {
            outputHash = keccak256(output);
            if (_commitmentHash(outputHash, traceRoot) != r.commitment) {
                revert InferenceManagerCommitmentMismatch(requestId);
            }
        }

        core.status = RequestStatus.Finalized;
        r.core = core;
        _credits[core.node] += core.fee;
        uint256 collateral = uint256(core.fee) * terms.multiplier;
        if (collateral != 0) staking.unlock(core.node, collateral);
        emit RequestFinalized(requestId, core.node, core.fee, collateral);

        if (hasCallback) _callConsumer(requestId, r.callback, output, outputHash);
    }

    /// @inheritdoc IInferenceManager
    function refund(uint256 requestId) external nonReentrant {
        InferenceLib.refund(_requests, _batched, _batchSettled, _credits, staking, requestId);
    }

    // -- Batches --

    /// @inheritdoc IInferenceManager
    function commitBatch(
        uint256[] calldata requestIds,
        bytes32[] calldata outputHashes,
        bytes32[] calldata traceRoots
    ) external returns (uint256 batchId) {
        {
            uint256 n = requestIds.length;
            if (n == 0 || n > MAX_BATCH_SIZE) revert InferenceManagerInvalidBatch(n, MAX_BATCH_SIZE);
            if (outputHashes.length != n || traceRoots.length != n) revert InferenceManagerBatchLengthMismatch();
        }
        _checkCommitter(msg.sender);
        (bytes32 root, bytes32 idsHash, uint256 fee, uint256 bondedFee, uint256 held) = InferenceLib.commitLeaves(
            _requests,
            _batched,
            requestIds,
            outputHashes,
            traceRoots
        );
        batchId = _recordBatch(uint32(requestIds.length), root, idsHash, fee, bondedFee, held);
    }

    /// @inheritdoc IInferenceManager
    function proveBatchLeaf(
        uint256 batchId,
        uint256 index,
        uint256 requestId,
        bytes32 outputHash,
        bytes32 traceRoot,
        bytes32[] calldata proof
    ) external {
        InferenceLib.Batch storage b = _batches[batchId];
        if (b.status != BatchStatus.Committed) revert InferenceManagerBatchNotCommitted(batchId, b.status);
        if (block.timestamp >= b.windowEnd) revert InferenceManagerWindowClosed(batchId, b.windowEnd);
        if (!MerkleLib.verify(b.root, InferenceLib.leafHash(requestId, outputHash, traceRoot), index, b.count, proof)) {
            revert InferenceManagerInvalidBatchProof(batchId, index);
        }
        uint256 collateral = InferenceLib.materialize(
            b,
            _requests,
            _batched,
            _batchSettled,
            requestId,
            _commitmentHash(outputHash, traceRoot)
        );
        emit BatchLeafProven(batchId, requestId, index, outputHash, traceRoot, collateral);
    }

    /// @inheritdoc IInferenceManager
    function finalizeBatch(uint256 batchId, uint256[] calldata requestIds) external {
        InferenceLib.Batch storage b = _batches[batchId];
        InferenceLib.Batch memory batch = b;
        if (batch.status != BatchStatus.Committed) revert InferenceManagerBatchNotCommitted(batchId, batch.status);
        if (block.timestamp < batch.windowEnd) revert InferenceManagerWindowOpen(batchId, batch.windowEnd);
        if (_idsHash(requestIds) != batch.idsHash) revert InferenceManagerBatchIdsMismatch(batchId);
        b.status = BatchStatus.Finalized;
        b.feeRemaining = 0;
        b.collateralRemaining = 0;
        InferenceLib.settleLeaves(_batchSettled, requestIds);

        uint256 paid = batch.feeRemaining;
        if (paid != 0) _credits[batch.node] += paid;
        uint256 unlocked = batch.collateralRemaining;
        if (unlocked != 0) staking.unlock(batch.node, unlocked);
        emit BatchFinalized(batchId, batch.node, paid, unlocked);
    }

    // -- Credits --

    /// @inheritdoc IInferenceManager
    function claimCredits() external nonReentrant returns (uint256 amount) {
        amount = InferenceLib.claimCredits(_credits, _token);
    }

    // -- Dispute hooks --

    /// @inheritdoc IInferenceManager
    function disputeInfo(uint256 requestId) external view returns (DisputeInfo memory) {
        InferenceLib.Request storage r = _requests[requestId];
        return InferenceLib.disputeInfo(r, _status(requestId, r.core.status));
    }

    /// @inheritdoc IInferenceManager
    function beginDispute(uint256 requestId) external onlyRole(DISPUTE_ROLE) {
        InferenceLib.beginDispute(_requests, requestId);
    }

    /// @inheritdoc IInferenceManager
    function endDispute(
        uint256 requestId,
        bool nodeWrong
    ) external onlyRole(DISPUTE_ROLE) returns (uint256 collateralToSlash) {
        collateralToSlash = InferenceLib.endDispute(_requests, _credits, staking, requestId, nodeWrong);
    }

    // -- Governance --

    /// @inheritdoc IInferenceManager
    function setModeSettler(uint8 mode, address settler) external onlyRole(GOVERNOR_ROLE) {
        if (!VerificationModes.isVerified(mode)) revert InferenceManagerNotModeSettler(mode, settler);
        _settlers[mode] = settler;
        emit ModeSettlerSet(mode, settler);
    }

    /// @inheritdoc IInferenceManager
    function setChallengeWindow(uint32 value) external {
        _setParameter(InferenceLib.Parameter.ChallengeWindow, value);
    }

    /// @inheritdoc IInferenceManager
    function setRequestTimeout(uint32 value) external {
        _setParameter(InferenceLib.Parameter.RequestTimeout, value);
    }

    /// @inheritdoc IInferenceManager
    function setCollateralMultiplier(uint8 value) external {
        _setParameter(InferenceLib.Parameter.CollateralMultiplier, value);
    }

    /// @inheritdoc IInferenceManager
    function setMaxCallbackGas(uint32 value) external {
        _setParameter(InferenceLib.Parameter.MaxCallbackGas, value);
    }

    /// @inheritdoc IInferenceManager
    function setServeTimeout(uint32 value) external {
        _setParameter(InferenceLib.Parameter.ServeTimeout, value);
    }

    // -- Views --

    /// @inheritdoc IInferenceManager
    function getRequest(uint256 requestId) external view returns (RequestView memory) {
        InferenceLib.Request storage r = _requests[requestId];
        return InferenceLib.requestView(r, _status(requestId, r.core.status));
    }

    /// @inheritdoc IInferenceManager
    function getBatch(uint256 batchId) external view returns (BatchView memory) {
        return InferenceLib.batchView(_batches[batchId]);
    }

    /// @inheritdoc IInferenceManager
    function statusOf(uint256 requestId) external view returns (RequestStatus) {
        return _status(requestId, _requests[requestId].core.status);
    }

    /// @inheritdoc IInferenceManager
    function credits(address account) external view returns (uint256) {
        return _credits[account];
    }

    /// @inheritdoc IInferenceManager
    function requestCount() external view returns (uint256) {
        return _params.requestCount;
    }

    /// @inheritdoc IInferenceManager
    function batchCount() external view returns (uint256) {
        return _params.batchCount;
    }

    /// @inheritdoc IInferenceManager
    function challengeWindow() external view returns (uint32) {
        return _params.challengeWindow;
    }

    /// @inheritdoc IInferenceManager
    function requestTimeout() external view returns (uint32) {
        return _params.requestTimeout;
    }

    /// @inheritdoc IInferenceManager
    function collateralMultiplier() external view returns (uint8) {
        return _params.collateralMultiplier;
    }

    /// @inheritdoc IInferenceManager
    function maxCallbackGas() external view returns (uint32) {
        return _params.maxCallbackGas;
    }

    /// @inheritdoc IInferenceManager
    function serveTimeout() external view returns (uint32) {
        return _params.serveTimeout;
    }

    /// @inheritdoc IInferenceManager
    function modeSettler(uint8 mode) external view returns (address) {
        return _settlers[mode];
    }

    /// @inheritdoc IInferenceManager
    function token() external view returns (address) {
        return address(_token);
    }

    // -- Internal --

    function _request(NewRequest memory q, bytes calldata input) private returns (uint256 requestId) {
        InferenceLib.VersionInfo memory version = _versionInfo(q.versionId, q.node == address(0));
        bool known = q.mode == VerificationModes.OPTIMISTIC || q.mode == VerificationModes.NONE;
        if (
            !(known || (VerificationModes.isVerified(q.mode) && _settlers[q.mode] != address(0))) ||
            version.modes & q.mode == 0
        ) revert InferenceManagerUnsupportedMode(q.versionId, q.mode);
        uint256 minimumFee = version.fee == 0 ? 1 : version.fee;
        if (q.fee < minimumFee) revert InferenceManagerFeeTooLow(q.fee, minimumFee);
        if (q.fee > MAX_FEE) revert InferenceManagerFeeTooHigh(q.fee, MAX_FEE);
        if (input.length != version.inputBytes) {
            revert InferenceManagerInvalidInputLength(input.length, version.inputBytes);
        }
        InferenceLib.Params memory params = _params;
        if (q.callback != address(0) && q.callbackGasLimit > params.maxCallbackGas) {
            revert InferenceManagerCallbackGasTooHigh(q.callbackGasLimit, params.maxCallbackGas);
        }
        if (q.node != address(0) && !nodeRegistry.isEligible(q.node, q.versionId)) {
            revert InferenceManagerNodeNotEligible(q.node, q.versionId);
        }

        requestId = ++params.requestCount;
        _params.requestCount = params.requestCount;
        InferenceLib.Request storage r = _requests[requestId];
        r.core = InferenceLib.Core({
            node: q.node,
            fee: uint80(q.fee),
            status: q.node == address(0) ? RequestStatus.Open : RequestStatus.Assigned,
            flags: q.callback == address(0) ? q.mode : q.mode | InferenceLib.CALLBACK_FLAG
        });
        r.terms = InferenceLib.Terms({
            requester: msg.sender,
            versionId: uint32(q.versionId),
            time: uint40(block.timestamp) + params.requestTimeout,
            multiplier: 0,
            outputBytes: version.outputBytes <= type(uint16).max ? uint16(version.outputBytes) : 0
        });
        r.inputHash = keccak256(input);
        r.commitment = _COMMITMENT_PLACEHOLDER;
        if (q.callback != address(0))
            r.callback = InferenceLib.Callback({target: q.callback, gasLimit: q.callbackGasLimit});

        _token.safeTransferFrom(msg.sender, address(this), q.fee);
        emit InferenceRequested(requestId, q.versionId, msg.sender, q.node, q.fee, q.mode, input);
    }

    /// @dev Checks and stores a commitment. `verified`: called by the mode's settler for the assigned node (which
    /// the settler authenticated); otherwise the caller must be the assigned node and the mode OPTIMISTIC or NONE.
    function _commit(
        uint256 requestId,
        uint256 outputLength,
        bytes32 outputHash,
        bytes32 traceRoot,
        bool verified
    ) private returns (InferenceLib.Core memory core) {
        InferenceLib.Request storage r = _requests[requestId];
        core = r.core;
        RequestStatus status = _status(requestId, core.status);
        if (status != RequestStatus.Assigned) revert InferenceManagerInvalidStatus(requestId, status);
        if (!verified) {
            if (msg.sender != core.node) revert InferenceManagerNotAssignedNode(requestId, msg.sender);
            uint8 mode = core.flags & _MODE_MASK;
            if (VerificationModes.isVerified(mode)) revert InferenceManagerNotModeSettler(mode, msg.sender);
        }
        _checkCommitter(core.node);
        InferenceLib.Terms memory terms = r.terms;
        if (block.timestamp > terms.time) revert InferenceManagerDeadlinePassed(requestId, terms.time);
        // Every shape dimension is at least 1, so a stored length of 0 means "too long for 16 bits".
        uint256 expected = terms.outputBytes != 0 ? terms.outputBytes : _versions[terms.versionId].outputBytes;
        if (outputLength != expected) revert InferenceManagerInvalidOutputLength(outputLength, expected);

        InferenceLib.Params memory params = _params;
        // What the claim locked (fee x the claim's multiplier; 0 for a request whose node the requester chose).
        uint256 held = core.flags & InferenceLib.CLAIMED_FLAG != 0 ? uint256(core.fee) * terms.multiplier : 0;
        uint8 multiplier;
        uint40 windowEnd = uint40(block.timestamp);
        if (core.flags & _MODE_MASK == VerificationModes.OPTIMISTIC) {
            multiplier = held != 0 ? terms.multiplier : params.collateralMultiplier;
            windowEnd += params.challengeWindow;
        }
        core.status = RequestStatus.Committed;
        r.core = core;
        terms.time = windowEnd;
        terms.multiplier = multiplier;
        r.terms = terms;
        r.commitment = _commitmentHash(outputHash, traceRoot);
        _adjustCollateral(core.node, uint256(core.fee) * multiplier, held);
    }

    /// @dev Stores the caller's new batch of `count` leaves (see `commitBatch`) and locks its collateral, less what
    /// the claimed leaves' claims `held` (a separate function only to keep `commitBatch`'s stack shallow).
    function _recordBatch(
        uint32 count,
        bytes32 root,
        bytes32 idsHash,
        uint256 fee,
        uint256 bondedFee,
        uint256 held
    ) private returns (uint256 batchId) {
        InferenceLib.Params memory params = _params;
        batchId = ++params.batchCount;
        _params.batchCount = params.batchCount;
        uint40 windowEnd = uint40(block.timestamp) + params.challengeWindow;
        uint256 collateral = bondedFee * params.collateralMultiplier;
        _batches[batchId] = InferenceLib.Batch({
            node: msg.sender,
            count: count,
            windowEnd: windowEnd,
            status: BatchStatus.Committed,
            multiplier: params.collateralMultiplier,
            root: root,
            idsHash: idsHash,
            feeRemaining: uint128(fee),
            collateralRemaining: uint128(collateral)
        });
        _adjustCollateral(msg.sender, collateral, held);
        emit BatchCommitted(batchId, msg.sender, root, count, fee, collateral, windowEnd);
    }

    /// @dev Locks or releases the difference between the collateral `node` needs for a commitment and what its
    /// claims already `held` for it: an OPTIMISTIC commitment of a claimed request locks nothing more, a NONE or
    /// verified one releases the claim's collateral, a batch locks (or releases) the difference.
    function _adjustCollateral(address node, uint256 needed, uint256 held) private {
        if (needed > held) staking.lock(node, needed - held);
        else if (held > needed) staking.unlock(node, held - needed);
    }

    /// @dev Finding F2: a node that left (Exited) or never registered does not commit (`commit`, `commitBatch`,
    /// `settleVerified`), so that a node cannot `exit` and `completeExit` (possible while nothing is locked for it: a
    /// request whose node the requester chose locks nothing until committed) and then commit a lie. A Jailed node still
    /// commits what it was assigned before its jail: it stays staked, each commitment locks collateral and can be
    /// disputed, and refusing it would strand those requests until their deadline (the multi-process network test
    /// stranded 24 of 300 that way); jailing already keeps it from new work (`isEligible`). Checking
    /// the status here costs one external view call per commitment (~5k gas: a cold account and a cold slot) and
    /// one per batch. The alternative, blocking `completeExit` while the node holds Assigned requests, would need a
    /// per-node counter written on every request with a chosen node, claim, commitment, batch leaf, refund and
    /// reopen (an SSTORE each, 2.9k-20k gas, on the hot paths and per batch leaf), kept by this contract for the
    /// NodeRegistry to read. A claimed request is covered twice: its claim's lock also keeps `completeExit` from
    /// succeeding.
    function _checkCommitter(address node) private view {
        INodeRegistry.NodeStatus s = nodeRegistry.statusOf(node);
        if (s == INodeRegistry.NodeStatus.Exited || s == INodeRegistry.NodeStatus.None) {
            revert InferenceManagerNodeInactive(node, s);
        }
    }

    /// @dev The cached version record. On a version's first request it is read from `ModelRegistry.requestTerms`
    /// (one call: the version must be active, and an unknown version, which that view refuses, reads as inactive
    /// too) and cached. `checkActive`: on later requests, also require the version to be active now (requests with
    /// a chosen node get that check from `NodeRegistry.isEligible`).
    function _versionInfo(uint256 versionId, bool checkActive) private returns (InferenceLib.VersionInfo memory info) {
        info = _versions[versionId];
        if (!info.cached) {
            IModelRegistry.RequestTerms memory terms;
            try modelRegistry.requestTerms(versionId) returns (IModelRegistry.RequestTerms memory t) {
                terms = t;
            } catch (bytes memory reason) {
                // an unknown version reads as inactive, as from `isActiveVersion`; any other failure propagates
                if (bytes4(reason) != IModelRegistry.ModelRegistryUnknownVersion.selector) {
                    assembly ("memory-safe") {
                        revert(add(reason, 0x20), mload(reason))
                    }
                }
                revert InferenceManagerVersionNotActive(versionId);
            }
            if (!terms.active) revert InferenceManagerVersionNotActive(versionId);
            info = InferenceLib.VersionInfo({
                fee: terms.fee,
                inputBytes: terms.inputBytes,
                outputBytes: terms.outputBytes,
                modes: terms.modes,
                cached: true
            });
            _versions[versionId] = info;
        } else if (checkActive && !modelRegistry.isActiveVersion(versionId)) {
            revert InferenceManagerVersionNotActive(versionId);
        }
    }

    /// @dev The stored status, with batch settlement (an Assigned request whose bit is set) read as Finalized.
    function _status(uint256 requestId, RequestStatus stored) private view returns (RequestStatus) {
        return InferenceLib.statusOf(_batched, _batchSettled, requestId, stored);
    }

    /// @dev Calls the consumer with exactly `gasLimit` gas and copies no return data (no return bomb). Reverts only
    /// when the caller did not leave enough gas to forward `gasLimit`, so a finalizer cannot make it fail on purpose.
    function _callConsumer(
        uint256 requestId,
        InferenceLib.Callback memory cb,
        bytes calldata output,
        bytes32 outputHash
    ) private {
        bytes memory data = abi.encodeCall(IInferenceConsumer.onInferenceResult, (requestId, output, outputHash));
        uint256 gasLimit = cb.gasLimit;
        if (gasleft() < gasLimit + gasLimit / 63 + _CALLBACK_GAS_MARGIN) {
            revert InferenceManagerInsufficientGas(gasLimit + gasLimit / 63 + _CALLBACK_GAS_MARGIN, gasleft());
        }
        address target = cb.target;
        bool success;
        assembly ("memory-safe") {
            success := call(gasLimit, target, 0, add(data, 0x20), mload(data), 0, 0)
        }
        emit CallbackExecuted(requestId, target, success);
    }

    function _commitmentHash(bytes32 outputHash, bytes32 traceRoot) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0, outputHash)
            mstore(32, traceRoot)
            h := keccak256(0, 64)
        }
    }

    /// @dev keccak256(abi.encodePacked(requestIds)), hashed straight from calldata in scratch memory.
    function _idsHash(uint256[] calldata requestIds) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            let len := shl(5, requestIds.length)
            calldatacopy(p, requestIds.offset, len)
            h := keccak256(p, len)
        }
    }

    /// @dev The five parameter setters share this one library call site (GOVERNOR_ROLE only).
    function _setParameter(InferenceLib.Parameter which, uint256 value) private onlyRole(GOVERNOR_ROLE) {
        InferenceLib.setParameter(_params, which, value);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IInferenceManager} from "../interfaces/IInferenceManager.sol";
import {IStaking} from "../interfaces/IStaking.sol";
import {VerificationModes} from "../libraries/VerificationModes.sol";

/// @title InferenceLib
/// @notice The InferenceManager's storage records, its batch loops and its cold paths (governance setters, views,
/// refunds, reopened claims, dispute hooks, credit claims). They are `external` library functions (reached by
/// DELEGATECALL, so they act on the manager's own storage) only to keep the manager's code well under the 24 kB
/// limit: a call costs one DELEGATECALL (2.6k gas the first time in a transaction), so the hot paths (request,
/// claim, commit, finalize) make none, and the batch paths one per batch, not per leaf.
library InferenceLib {
    using SafeERC20 for IERC20;

    /// @dev The governance parameters and both counters share one slot (256 bits exactly).
    struct Params {
        uint32 challengeWindow;
        uint32 requestTimeout;
        uint8 collateralMultiplier;
        uint32 maxCallbackGas;
        uint64 requestCount;
        uint64 batchCount;
        uint24 serveTimeout;
    }

    /// @dev The governance parameter `setParameter` sets.
    enum Parameter {
        ChallengeWindow,
        RequestTimeout,
        CollateralMultiplier,
        MaxCallbackGas,
        ServeTimeout
    }

    /// @dev Slot 0 of a request: everything `settleBatch` reads per leaf.
    struct Core {
        address node;
        uint80 fee;
        IInferenceManager.RequestStatus status;
        /// @dev The verification mode (low 4 bits) | CLAIMED_FLAG | CALLBACK_FLAG.
        uint8 flags;
    }

    /// @dev Slot 1 of a request. `time` is the serving deadline until committed, then the window end; while
    /// Disputed, the window remainder frozen at `beginDispute`. `multiplier` is the collateral multiplier
    /// snapshotted at claim (any mode: the claim's collateral) or at commit (0 in NONE mode): collateral = fee *
    /// multiplier. `outputBytes` is the version's output length copied at request time into the slot's last 16 bits
    /// (free otherwise), so that `commit` does not read the version cache (a cold SLOAD); 0 when the length does not
    /// fit (then `commit` reads the cache).
    struct Terms {
        address requester;
        uint32 versionId;
        uint40 time;
        uint8 multiplier;
        uint16 outputBytes;
    }

    struct Callback {
        address target;
        uint32 gasLimit;
    }

    struct Request {
        Core core;
        Terms terms;
        bytes32 inputHash;
        bytes32 commitment;
        Callback callback;
    }

    struct Batch {
        address node;
        uint32 count;
        uint40 windowEnd;
        IInferenceManager.BatchStatus status;
        uint8 multiplier;
        bytes32 root;
        bytes32 idsHash;
        /// @dev Fees of the leaves not proven individually: credited to the node by `finalizeBatch`.
        uint128 feeRemaining;
        uint128 collateralRemaining;
    }

    uint8 internal constant CALLBACK_FLAG = 0x80;
    /// @dev The node took the request with `claim` and locked fee * terms.multiplier for it; until the request is
    /// committed, its commitment slot holds the serve deadline. Cleared when the claim is dropped (`reopen`).
    uint8 internal constant CLAIMED_FLAG = 0x40;
    /// @dev The requester's share of an abandoned claim's penalty (Staking's MAX_REWARD_PPM: half).
    uint32 internal constant CLAIM_PENALTY_REWARD_PPM = 500_000;

    // The governance parameters' bounds (the InferenceManager's MIN_/MAX_ constants; see there).
    uint32 internal constant MIN_CHALLENGE_WINDOW = 10 seconds;
    uint32 internal constant MAX_CHALLENGE_WINDOW = 7 days;
    uint32 internal constant MIN_REQUEST_TIMEOUT = 1 minutes;
    uint32 internal constant MAX_REQUEST_TIMEOUT = 7 days;
    uint8 internal constant MIN_COLLATERAL_MULTIPLIER = 1;
    uint8 internal constant MAX_COLLATERAL_MULTIPLIER = 100;
    uint32 internal constant MIN_MAX_CALLBACK_GAS = 10_000;
    uint32 internal constant MAX_MAX_CALLBACK_GAS = 5_000_000;
    uint32 internal constant MIN_SERVE_TIMEOUT = 30 seconds;
    uint32 internal constant MAX_SERVE_TIMEOUT = 1 days;

    /// @dev What a request needs of its model version (`IModelRegistry.requestTerms`), cached on first use
    /// (versions are immutable; deprecation is checked live through the registries).
    struct VersionInfo {
        uint128 fee;
        uint32 inputBytes;
        uint32 outputBytes;
        uint8 modes;
        bool cached;
    }

    /// @notice Validate and mark the leaves of a new batch of `msg.sender` (the manager's caller: this runs by
    /// DELEGATECALL): each request must be an Assigned request of the caller, without a callback, in no other
    /// batch, and the ids strictly increasing. Sets each leaf's bit in `batchedBits` (one SSTORE per word).
    /// @return root The COMMITMENTS.md section 1 root over keccak256(abi.encode(id, outputHash, traceRoot)).
    /// @return idsHash keccak256(abi.encodePacked(requestIds)).
    /// @return fee The sum of the leaves' fees.
    /// @return bondedFee The sum of the OPTIMISTIC leaves' fees: the batch's collateral is bondedFee x multiplier
    /// (NONE leaves lock nothing, as single NONE commitments).
    /// @return held The collateral the claimed leaves' claims locked (Σ fee x claim multiplier, any mode): the batch
    /// locks only what it needs beyond it, or releases the excess.
    function commitLeaves(
        mapping(uint256 => Request) storage requests,
        mapping(uint256 => uint256) storage batchedBits,
        uint256[] calldata requestIds,
        bytes32[] calldata outputHashes,
        bytes32[] calldata traceRoots
    ) external returns (bytes32 root, bytes32 idsHash, uint256 fee, uint256 bondedFee, uint256 held) {
        (fee, bondedFee, held) = _markLeaves(requests, batchedBits, requestIds);
        (root, idsHash) = _batchRoot(requestIds, outputHashes, traceRoots);
    }

    /// @notice Mark every leaf of a finalized batch settled (one SSTORE per word of 256 consecutive ids).
    function settleLeaves(mapping(uint256 => uint256) storage settledBits, uint256[] calldata requestIds) external {
        assembly ("memory-safe") {
            let bitsSlot := settledBits.slot
            let wordIndex := not(0)
            let word := 0
            let end := add(requestIds.offset, shl(5, requestIds.length))
            for {
                let p := requestIds.offset
            } lt(p, end) {
                p := add(p, 32)
            } {
                let id := calldataload(p)
                let wi := shr(8, id)
                if iszero(eq(wi, wordIndex)) {
                    if iszero(eq(wordIndex, not(0))) {
                        mstore(0, wordIndex)
                        mstore(32, bitsSlot)
                        sstore(keccak256(0, 64), word)
                    }
                    wordIndex := wi
                    mstore(0, wi)
                    mstore(32, bitsSlot)
                    word := sload(keccak256(0, 64))
                }
                word := or(word, shl(and(id, 0xff), 1))
            }
            if iszero(eq(wordIndex, not(0))) {
                mstore(0, wordIndex)
                mstore(32, bitsSlot)
                sstore(keccak256(0, 64), word)
            }
        }
    }

    /// @dev Checks every leaf (see `commitLeaves`), sets its bit in `batchedBits` and sums the fees (all, and
    /// OPTIMISTIC only) and the claims' collateral. The loop reads the packed Core slot directly: node in bits
    /// 0-159, fee 160-239, status 240-247, flags 248-255 (CLAIMED_FLAG is bit 254); only a claimed leaf also reads
    /// its Terms slot (the claim's multiplier, bits 232-239).
    function _markLeaves(
        mapping(uint256 => Request) storage requests,
        mapping(uint256 => uint256) storage batchedBits,
        uint256[] calldata requestIds
    ) private returns (uint256 fee, uint256 bondedFee, uint256 held) {
        uint256 failure; // 0: none; else (index << 8) | 1 (not sorted) or 2 (invalid leaf)
        assembly ("memory-safe") {
            let wordIndex := not(0)
            let word := 0
            let previous := 0
            for {
                let i := 0
            } lt(i, requestIds.length) {
                i := add(i, 1)
            } {
                let id := calldataload(add(requestIds.offset, shl(5, i)))
                if iszero(gt(id, previous)) {
                    failure := or(shl(8, i), 1)
                    break
                }
                mstore(0, id)
                mstore(32, requests.slot)
                let core := sload(keccak256(0, 64))
                // a claimed leaf's claim locked fee x the claim's multiplier (uint80 x uint8: no overflow); counted
                // before the checks, which revert the whole batch if this leaf is invalid
                if and(shr(254, core), 1) {
                    held := add(
                        held,
                        mul(
                            and(shr(160, core), 0xffffffffffffffffffff),
                            and(shr(232, sload(add(keccak256(0, 64), 1))), 0xff)
                        )
                    )
                }
                // node == the manager's caller (bits 0-159 of core xor caller() all zero; `bad` is any non-zero
                // value, and a shift rather than a 160-bit mask, which the constant optimizer may compute at each
                // use), status == Assigned (2), no callback flag,
                let bad := shl(96, xor(core, caller()))
                bad := or(bad, iszero(eq(and(shr(240, core), 0xff), 2)))
                bad := or(bad, shr(255, core))
                // mode NONE (1) or OPTIMISTIC (2) only: TEE and ZK results settle through their settler
                bad := or(bad, gt(and(shr(248, core), 0x0f), 2))
                if iszero(eq(shr(8, id), wordIndex)) {
                    if iszero(eq(wordIndex, not(0))) {
                        mstore(0, wordIndex)
                        mstore(32, batchedBits.slot)
                        sstore(keccak256(0, 64), word)
                    }
                    wordIndex := shr(8, id)
                    mstore(0, wordIndex)
                    mstore(32, batchedBits.slot)
                    word := sload(keccak256(0, 64))
                }
                // ... and in no batch yet
                if or(bad, and(word, shl(and(id, 0xff), 1))) {
                    failure := or(shl(8, i), 2)
                    break
                }
                word := or(word, shl(and(id, 0xff), 1))
                previous := id
                let leafFee := and(shr(160, core), 0xffffffffffffffffffff)
                fee := add(fee, leafFee)
                // only OPTIMISTIC (2) leaves are backed by collateral, as for single commitments
                if eq(and(shr(248, core), 0x0f), 2) {
                    bondedFee := add(bondedFee, leafFee)
                }
            }
            if iszero(eq(wordIndex, not(0))) {
                mstore(0, wordIndex)
                mstore(32, batchedBits.slot)
                sstore(keccak256(0, 64), word)
            }
        }
        if (failure & 0xff == 1) revert IInferenceManager.InferenceManagerBatchNotSorted(failure >> 8);
        if (failure & 0xff == 2) {
            revert IInferenceManager.InferenceManagerInvalidBatchLeaf(failure >> 8, requestIds[failure >> 8]);
        }
    }

    /// @dev The batch root (COMMITMENTS.md section 1 over keccak256(abi.encode(id, outputHash, traceRoot)), odd
    /// levels padded with the empty-subtree root) and keccak256(abi.encodePacked(requestIds)). The tree is hashed
    /// in place in free memory, which is scratch only (the free memory pointer is not moved).
    function _batchRoot(
        uint256[] calldata requestIds,
        bytes32[] calldata outputHashes,
        bytes32[] calldata traceRoots
    ) private pure returns (bytes32 root, bytes32 idsHash) {
        assembly ("memory-safe") {
            let n := requestIds.length
            let nodes := mload(0x40)
            let tmp := add(nodes, shl(5, n))
            for {
                let i := 0
            } lt(i, n) {
                i := add(i, 1)
            } {
                let o := shl(5, i)
                mstore(tmp, calldataload(add(requestIds.offset, o)))
                mstore(add(tmp, 32), calldataload(add(outputHashes.offset, o)))
                mstore(add(tmp, 64), calldataload(add(traceRoots.offset, o)))
                mstore(add(nodes, o), keccak256(tmp, 96))
            }
            let zero := 0
            for {
                let m := n
            } gt(m, 1) {} {
                let half := shr(1, add(m, 1))
                for {
                    let i := 0
                } lt(i, half) {
                    i := add(i, 1)
                } {
                    let l := shl(1, i)
                    mstore(0, mload(add(nodes, shl(5, l))))
                    switch lt(add(l, 1), m)
                    case 1 {
                        mstore(32, mload(add(nodes, shl(5, add(l, 1)))))
                    }
                    default {
                        mstore(32, zero)
                    }
                    mstore(add(nodes, shl(5, i)), keccak256(0, 64))
                }
                mstore(0, zero)
                mstore(32, zero)
                zero := keccak256(0, 64)
                m := half
            }
            root := mload(nodes)
            calldatacopy(nodes, requestIds.offset, shl(5, n))
            idsHash := keccak256(nodes, shl(5, n))
        }
    }

    /// @notice Turn a proven leaf of the Committed batch `b` into an individual commitment (stored status
    /// Committed, the batch's window end and multiplier); its fee and collateral leave the batch's remainders.
    /// @return collateral The leaf's collateral (fee * multiplier; 0 in NONE mode).
    function materialize(
        Batch storage b,
        mapping(uint256 => Request) storage requests,
        mapping(uint256 => uint256) storage batchedBits,
        mapping(uint256 => uint256) storage settledBits,
        uint256 requestId,
        bytes32 commitment
    ) external returns (uint256 collateral) {
        Request storage r = requests[requestId];
        Core memory core = r.core;
        IInferenceManager.RequestStatus status = statusOf(batchedBits, settledBits, requestId, core.status);
        if (status != IInferenceManager.RequestStatus.Batched) {
            revert IInferenceManager.InferenceManagerInvalidStatus(requestId, status);
        }
        uint8 multiplier = core.flags & 0x0f == VerificationModes.OPTIMISTIC ? b.multiplier : 0;
        collateral = uint256(core.fee) * multiplier;
        // The leaf's fee and collateral were added to the batch's totals at commit: no underflow.
        b.feeRemaining -= core.fee;
        b.collateralRemaining -= uint128(collateral);

        core.status = IInferenceManager.RequestStatus.Committed;
        r.core = core;
        Terms memory terms = r.terms;
        terms.time = b.windowEnd;
        terms.multiplier = multiplier;
        r.terms = terms;
        r.commitment = commitment;
    }

    /// @notice The status of a request whose stored status is `stored`. A batch leaf keeps Assigned in storage:
    /// it reads Finalized once its bit is set in `settledBits`, Batched while only its `batchedBits` bit is set.
    function statusOf(
        mapping(uint256 => uint256) storage batchedBits,
        mapping(uint256 => uint256) storage settledBits,
        uint256 requestId,
        IInferenceManager.RequestStatus stored
    ) internal view returns (IInferenceManager.RequestStatus) {
        if (stored != IInferenceManager.RequestStatus.Assigned) return stored;
        uint256 word = requestId >> 8;
        uint256 shift = requestId & 0xff;
        if ((batchedBits[word] >> shift) & 1 == 0) return stored;
        if ((settledBits[word] >> shift) & 1 == 1) return IInferenceManager.RequestStatus.Finalized;
        return IInferenceManager.RequestStatus.Batched;
    }

    /// @notice The `getRequest` view of `r`, whose status (batch settlement included) is `status`.
    function requestView(
        Request storage r,
        IInferenceManager.RequestStatus status
    ) external view returns (IInferenceManager.RequestView memory v) {
        Core memory core = r.core;
        Terms memory terms = r.terms;
        bool committed = _hasCommitment(core.status);
        v.requester = terms.requester;
        v.node = core.node;
        v.versionId = terms.versionId;
        v.fee = core.fee;
        v.collateral = _collateral(core, terms, status);
        if (committed) {
            v.windowEnd =
                status == IInferenceManager.RequestStatus.Disputed ? uint64(block.timestamp) + terms.time : terms.time;
            v.commitmentHash = r.commitment;
        } else {
            v.deadline = terms.time;
            if (status == IInferenceManager.RequestStatus.Assigned && core.flags & CLAIMED_FLAG != 0) {
                v.serveDeadline = uint64(uint256(r.commitment));
            }
        }
        v.mode = core.flags & 0x0f;
        v.status = status;
        v.inputHash = r.inputHash;
        v.callback = r.callback.target;
        v.callbackGasLimit = r.callback.gasLimit;
    }

    /// @notice The `getBatch` view of `b`.
    function batchView(Batch storage b) external view returns (IInferenceManager.BatchView memory v) {
        v.node = b.node;
        v.count = b.count;
        v.windowEnd = b.windowEnd;
        v.status = b.status;
        v.multiplier = b.multiplier;
        v.root = b.root;
        v.idsHash = b.idsHash;
        v.feeRemaining = b.feeRemaining;
        v.collateralRemaining = b.collateralRemaining;
    }

    /// @notice The `disputeInfo` view of `r`, whose status (batch settlement included) is `status`.
    function disputeInfo(
        Request storage r,
        IInferenceManager.RequestStatus status
    ) external view returns (IInferenceManager.DisputeInfo memory info) {
        Core memory core = r.core;
        Terms memory terms = r.terms;
        info.node = core.node;
        info.requester = terms.requester;
        info.versionId = terms.versionId;
        info.inputHash = r.inputHash;
        if (_hasCommitment(core.status)) {
            info.commitmentHash = r.commitment;
            info.windowEnd =
                status == IInferenceManager.RequestStatus.Disputed ? uint64(block.timestamp) + terms.time : terms.time;
        }
        info.status = uint8(status);
        info.fee = core.fee;
        info.collateral = _collateral(core, terms, status);
    }

    /// @dev fee x the snapshotted multiplier, except for a batch leaf (stored Assigned, read Batched or Finalized):
    /// its batch holds the collateral, and a claimed leaf's Terms keep the claim's stale multiplier.
    function _collateral(
        Core memory core,
        Terms memory terms,
        IInferenceManager.RequestStatus status
    ) private pure returns (uint256) {
        return status == core.status ? uint256(core.fee) * terms.multiplier : 0;
    }

    // -- Governance and credits (cold paths) --

    /// @notice The `IInferenceManager` setter of `which`: check `value` against the parameter's bounds
    /// (`InferenceManagerParameterOutOfBounds`), store it and emit the parameter's event. The manager checks the
    /// caller's role first.
    function setParameter(Params storage params, Parameter which, uint256 value) external {
        if (which == Parameter.ChallengeWindow) {
            _checkBounds("challengeWindow", value, MIN_CHALLENGE_WINDOW, MAX_CHALLENGE_WINDOW);
            params.challengeWindow = uint32(value);
            emit IInferenceManager.ChallengeWindowSet(uint32(value));
        } else if (which == Parameter.RequestTimeout) {
            _checkBounds("requestTimeout", value, MIN_REQUEST_TIMEOUT, MAX_REQUEST_TIMEOUT);
            params.requestTimeout = uint32(value);
            emit IInferenceManager.RequestTimeoutSet(uint32(value));
        } else if (which == Parameter.CollateralMultiplier) {
            _checkBounds("collateralMultiplier", value, MIN_COLLATERAL_MULTIPLIER, MAX_COLLATERAL_MULTIPLIER);
            params.collateralMultiplier = uint8(value);
            emit IInferenceManager.CollateralMultiplierSet(uint8(value));
        } else if (which == Parameter.MaxCallbackGas) {
            _checkBounds("maxCallbackGas", value, MIN_MAX_CALLBACK_GAS, MAX_MAX_CALLBACK_GAS);
            params.maxCallbackGas = uint32(value);
            emit IInferenceManager.MaxCallbackGasSet(uint32(value));
        } else {
            _checkBounds("serveTimeout", value, MIN_SERVE_TIMEOUT, MAX_SERVE_TIMEOUT);
            params.serveTimeout = uint24(value); // MAX_SERVE_TIMEOUT < 2^24
            emit IInferenceManager.ServeTimeoutSet(uint32(value));
        }
    }

    /// @notice `IInferenceManager.claimCredits`: transfer all of `msg.sender`'s credits to it.
    function claimCredits(mapping(address => uint256) storage credits, IERC20 token) external returns (uint256 amount) {
        amount = credits[msg.sender];
        if (amount == 0) revert IInferenceManager.InferenceManagerNothingToClaim(msg.sender);
        credits[msg.sender] = 0;
        token.safeTransfer(msg.sender, amount);
        emit IInferenceManager.CreditsClaimed(msg.sender, amount);
    }

    function _checkBounds(bytes32 parameter, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) {
            revert IInferenceManager.InferenceManagerParameterOutOfBounds(parameter, value, min, max);
        }
    }

    // -- Dispute hooks and claims (cold paths) --

    /// @notice `IInferenceManager.beginDispute`: freeze the Committed OPTIMISTIC request `requestId` inside its
    /// window (the manager checks the caller's role first).
    function beginDispute(mapping(uint256 => Request) storage requests, uint256 requestId) external {
        Request storage r = requests[requestId];
        Core memory core = r.core;
        if (core.status != IInferenceManager.RequestStatus.Committed) {
            revert IInferenceManager.InferenceManagerInvalidStatus(requestId, core.status);
        }
        uint8 mode = core.flags & 0x0f;
        if (mode != VerificationModes.OPTIMISTIC)
            revert IInferenceManager.InferenceManagerNotDisputable(requestId, mode);
        Terms memory terms = r.terms;
        if (block.timestamp >= terms.time) revert IInferenceManager.InferenceManagerWindowClosed(requestId, terms.time);
        core.status = IInferenceManager.RequestStatus.Disputed;
        r.core = core;
        terms.time -= uint40(block.timestamp); // the frozen remainder of the window
        r.terms = terms;
        emit IInferenceManager.DisputeBegun(requestId);
    }

    /// @notice `IInferenceManager.endDispute`: resolve the Disputed request `requestId`.
    function endDispute(
        mapping(uint256 => Request) storage requests,
        mapping(address => uint256) storage credits,
        IStaking staking,
        uint256 requestId,
        bool nodeWrong
    ) external returns (uint256 collateralToSlash) {
        Request storage r = requests[requestId];
        Core memory core = r.core;
        if (core.status != IInferenceManager.RequestStatus.Disputed) {
            revert IInferenceManager.InferenceManagerInvalidStatus(requestId, core.status);
        }
        Terms memory terms = r.terms;
        uint64 windowEnd = uint64(block.timestamp) + terms.time;
        if (nodeWrong) {
            core.status = IInferenceManager.RequestStatus.Rejected;
            r.core = core;
            credits[terms.requester] += core.fee;
            collateralToSlash = uint256(core.fee) * terms.multiplier;
            staking.unlock(core.node, collateralToSlash);
        } else {
            core.status = IInferenceManager.RequestStatus.Committed;
            r.core = core;
            terms.time = uint40(windowEnd);
            r.terms = terms;
        }
        emit IInferenceManager.DisputeEnded(requestId, nodeWrong, windowEnd, collateralToSlash);
    }

    /// @notice `IInferenceManager.reopen`: drop the lapsed (or given up) claim on `requestId`, back to Open.
    function reopen(
        mapping(uint256 => Request) storage requests,
        mapping(uint256 => uint256) storage batchedBits,
        mapping(uint256 => uint256) storage settledBits,
        IStaking staking,
        uint256 requestId
    ) external {
        Request storage r = requests[requestId];
        Core memory core = r.core;
        IInferenceManager.RequestStatus status = statusOf(batchedBits, settledBits, requestId, core.status);
        if (status != IInferenceManager.RequestStatus.Assigned) {
            revert IInferenceManager.InferenceManagerInvalidStatus(requestId, status);
        }
        if (core.flags & CLAIMED_FLAG == 0) revert IInferenceManager.InferenceManagerNotClaimed(requestId);
        uint256 serveDeadline = uint256(r.commitment);
        address node = core.node;
        if (msg.sender != node && block.timestamp <= serveDeadline) {
            revert IInferenceManager.InferenceManagerClaimNotExpired(requestId, uint64(serveDeadline));
        }
        // The commitment slot keeps the stale serve deadline: non-zero, as `commit` expects, and read only while
        // CLAIMED_FLAG is set.
        core.node = address(0);
        core.status = IInferenceManager.RequestStatus.Open;
        core.flags &= ~CLAIMED_FLAG;
        r.core = core;
        _abandon(r, staking, requestId, node, core.fee);
    }

    /// @notice `IInferenceManager.refund`: credit the fee of an unserved request back to its requester after the
    /// deadline; a pending claim on it is dropped as by `reopen`.
    function refund(
        mapping(uint256 => Request) storage requests,
        mapping(uint256 => uint256) storage batchedBits,
        mapping(uint256 => uint256) storage settledBits,
        mapping(address => uint256) storage credits,
        IStaking staking,
        uint256 requestId
    ) external {
        Request storage r = requests[requestId];
        Core memory core = r.core;
        IInferenceManager.RequestStatus status = statusOf(batchedBits, settledBits, requestId, core.status);
        if (status != IInferenceManager.RequestStatus.Open && status != IInferenceManager.RequestStatus.Assigned) {
            revert IInferenceManager.InferenceManagerInvalidStatus(requestId, status);
        }
        Terms memory terms = r.terms;
        if (block.timestamp <= terms.time) {
            revert IInferenceManager.InferenceManagerDeadlineNotPassed(requestId, terms.time);
        }
        core.status = IInferenceManager.RequestStatus.Refunded;
        r.core = core;
        credits[terms.requester] += core.fee;
        emit IInferenceManager.RequestRefunded(requestId, terms.requester, core.fee);
        // Open requests never carry the flag (`reopen` clears it), so a flagged one here is a pending claim.
        if (core.flags & CLAIMED_FLAG != 0) _abandon(r, staking, requestId, core.node, core.fee);
    }

    /// @dev The cost of a claim dropped uncommitted: its collateral (fee x the claim's multiplier >= fee) is
    /// released and one fee slashed from the claimant's stake (from its free stake first, which now holds the
    /// released collateral), half to the requester. State first, then the two calls to Staking.
    function _abandon(Request storage r, IStaking staking, uint256 requestId, address node, uint256 fee) private {
        Terms memory terms = r.terms;
        uint256 collateral = fee * terms.multiplier;
        terms.multiplier = 0;
        r.terms = terms;
        uint256 released = staking.unlock(node, collateral);
        uint256 penalty = staking.slash(node, fee, terms.requester, CLAIM_PENALTY_REWARD_PPM);
        emit IInferenceManager.ClaimAbandoned(requestId, node, released, penalty);
    }

    /// @dev True once `time` holds a window end and the commitment slot a real commitment (from the stored status:
    /// a batch-settled leaf keeps Assigned and has neither).
    function _hasCommitment(IInferenceManager.RequestStatus stored) private pure returns (bool) {
        return
            stored >= IInferenceManager.RequestStatus.Committed && stored != IInferenceManager.RequestStatus.Refunded;
    }

    /// @dev keccak256(abi.encode(requestId, outputHash, traceRoot)).
    function leafHash(uint256 requestId, bytes32 outputHash, bytes32 traceRoot) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, requestId)
            mstore(add(p, 0x20), outputHash)
            mstore(add(p, 0x40), traceRoot)
            h := keccak256(p, 0x60)
        }
    }
}

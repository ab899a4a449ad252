// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IStaking} from "../interfaces/IStaking.sol";
import {PPMMath} from "../libraries/PPMMath.sol";

/// @title Staking
/// @notice Stake, thawing that stays slashable, collateral locks and slashing for Verity node operators.
contract Staking is IStaking, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    string public constant VERSION = "0.1.0";

    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");
    /// @notice Held by the inference manager: locks and unlocks collateral.
    bytes32 public constant INFERENCE_ROLE = keccak256("INFERENCE_ROLE");
    /// @notice Held by the dispute manager only.
    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");

    /// @notice At most 50% of a slash may reward the beneficiary, so a node gains nothing by disputing itself.
    uint32 public constant MAX_REWARD_PPM = 500_000;

    uint256 public constant MIN_MINIMUM_STAKE = 1;
    uint256 public constant MAX_MINIMUM_STAKE = 1e9 ether;
    /// @notice Floor of the thawing period: it must outlast a challenge window plus the longest dispute.
    uint64 public constant MIN_THAWING_PERIOD = 1 days;
    uint64 public constant MAX_THAWING_PERIOD = 365 days;
    uint32 public constant MAX_THAW_REQUESTS_CAP = 100;

    /// @notice Receives the non-reward part of a slash when no treasury is set. Nobody holds its key.
    address public constant BURN_ADDRESS = 0x000000000000000000000000000000000000dEaD;

    /// @dev Per-node accounting. `active` includes `locked`. The thawing pool holds `thawingTokens`, owned by
    /// thaw requests in proportion to their shares; `thawingNonce` invalidates every request when a slash empties
    /// the pool, so that old shares never dilute new requests.
    struct Account {
        uint128 active;
        uint128 locked;
        uint128 thawingTokens;
        uint128 thawingShares;
        uint32 thawHead;
        uint32 thawTail;
        uint32 thawingNonce;
    }

    /// @dev One slot per request.
    struct StoredThawRequest {
        uint128 shares;
        uint64 thawingUntil;
        uint32 nonce;
    }

    IERC20 private immutable _token;

    uint256 private _minimumStake;
    uint64 private _thawingPeriod;
    uint32 private _maxThawRequests;
    address private _treasury;

    mapping(address node => Account account) private _accounts;
    mapping(address node => mapping(uint256 index => StoredThawRequest request)) private _thawRequests;

    /// @param token_ The staked ERC20 (any token; the protocol token on local deployments).
    /// @param admin Receives DEFAULT_ADMIN_ROLE and GOVERNOR_ROLE.
    constructor(
        address token_,
        address admin,
        uint256 minimumStake_,
        uint64 thawingPeriod_,
        uint32 maxThawRequests_,
        address treasury_
    ) {
        if (token_ == address(0) || admin == address(0)) revert StakingZeroAddress();
        _token = IERC20(token_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GOVERNOR_ROLE, admin);
        _setMinimumStake(minimumStake_);
        _setThawingPeriod(thawingPeriod_);
        _setMaxThawRequests(maxThawRequests_);
        _setTreasury(treasury_);
    }

    // -- Staking --

    /// @inheritdoc IStaking
    function stake(uint256 amount) external nonReentrant {
        _stake(amount);
    }

    /// @inheritdoc IStaking
    function stakeWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external nonReentrant {
        // A front-run permit has already set the allowance; stake anyway rather than fail (OpenZeppelin's advice).
        try IERC20Permit(address(_token)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        _stake(amount);
    }

    /// @inheritdoc IStaking
    function thaw(uint256 amount) external {
        if (amount == 0) revert StakingZeroAmount();
        Account storage account = _accounts[msg.sender];
        uint256 free = account.active - account.locked;
        if (amount > free) revert StakingInsufficientFreeStake(msg.sender, free, amount);
        if (account.thawTail - account.thawHead >= _maxThawRequests) {
            revert StakingTooManyThawRequests(msg.sender, _maxThawRequests);
        }

        // Shares never round to zero: slashing only lowers tokens per share, so shares >= tokens always.
        uint256 shares = account.thawingShares == 0 ? amount : (amount * account.thawingShares) / account.thawingTokens;
        uint64 thawingUntil = uint64(block.timestamp) + _thawingPeriod;

        account.active -= amount.toUint128();
        account.thawingTokens += amount.toUint128();
        account.thawingShares += shares.toUint128();
        _thawRequests[msg.sender][account.thawTail] = StoredThawRequest({
            shares: shares.toUint128(),
            thawingUntil: thawingUntil,
            nonce: account.thawingNonce
        });
        account.thawTail += 1;

        emit StakeThawed(msg.sender, amount, thawingUntil);
    }

    /// @inheritdoc IStaking
    function withdraw() external nonReentrant returns (uint256 amount) {
        Account storage account = _accounts[msg.sender];
        uint32 head = account.thawHead;
        uint32 tail = account.thawTail;
        uint128 poolTokens = account.thawingTokens;
        uint128 poolShares = account.thawingShares;

        while (head < tail) {
            StoredThawRequest memory request = _thawRequests[msg.sender][head];
            if (request.thawingUntil > block.timestamp) break;
            if (request.nonce == account.thawingNonce) {
                uint128 tokens = uint128((uint256(request.shares) * poolTokens) / poolShares);
                poolTokens -= tokens;
                poolShares -= request.shares;
                amount += tokens;
            }
            delete _thawRequests[msg.sender][head];
            head += 1;
        }

        uint256 settled = head - account.thawHead;
        if (settled == 0) revert StakingNothingToWithdraw(msg.sender);
        account.thawHead = head;
        account.thawingTokens = poolTokens;
        account.thawingShares = poolShares;

        if (amount > 0) _token.safeTransfer(msg.sender, amount);
        emit StakeWithdrawn(msg.sender, amount, settled);
    }

    // -- Collateral --

    /// @inheritdoc IStaking
    function lock(address node, uint256 amount) external onlyRole(INFERENCE_ROLE) {
        if (amount == 0) revert StakingZeroAmount();
        Account storage account = _accounts[node];
        uint256 free = account.active - account.locked;
        if (amount > free) revert StakingInsufficientFreeStake(node, free, amount);
        uint128 lockedTotal = account.locked + amount.toUint128();
        account.locked = lockedTotal;
        emit StakeLocked(node, amount, lockedTotal);
    }

    /// @inheritdoc IStaking
    function unlock(address node, uint256 amount) external onlyRole(INFERENCE_ROLE) returns (uint256 released) {
        if (amount == 0) revert StakingZeroAmount();
        Account storage account = _accounts[node];
        released = amount < account.locked ? amount : account.locked;
        uint128 lockedTotal = account.locked - uint128(released);
        account.locked = lockedTotal;
        emit StakeUnlocked(node, released, lockedTotal);
    }

    // -- Slashing --

    /// @inheritdoc IStaking
    function slash(
        address node,
        uint256 amount,
        address beneficiary,
        uint32 rewardPpm
    ) external onlyRole(SLASHER_ROLE) nonReentrant returns (uint256 slashed) {
        if (amount == 0) revert StakingZeroAmount();
        if (rewardPpm > MAX_REWARD_PPM) revert StakingRewardTooHigh(rewardPpm, MAX_REWARD_PPM);
        if (beneficiary == address(0) && rewardPpm > 0) revert StakingZeroAddress();

        Account storage account = _accounts[node];
        uint256 active = account.active;
        uint256 locked = account.locked;
        uint256 thawing = account.thawingTokens;
        slashed = amount < active + thawing ? amount : active + thawing;
        uint256 remaining = slashed;

        // 1. Free stake.
        uint256 fromFree = _min(remaining, active - locked);
        active -= fromFree;
        remaining -= fromFree;

        // 2. Thawing stake, pro rata: every request holds shares of the pool, so shrinking the pool shrinks them all.
        uint256 fromThawing = _min(remaining, thawing);
        if (fromThawing > 0) {
            thawing -= fromThawing;
            remaining -= fromThawing;
            account.thawingTokens = uint128(thawing);
            if (thawing == 0) {
                account.thawingShares = 0;
                account.thawingNonce += 1;
            }
        }

        // 3. Locked stake, last: it backs other open commitments.
        if (remaining > 0) {
            active -= remaining;
            locked -= remaining;
            account.locked = uint128(locked);
        }
        account.active = uint128(active);

        uint256 reward = PPMMath.mulPPM(slashed, rewardPpm);
        address sink = slashSink();
        if (reward > 0) _token.safeTransfer(beneficiary, reward);
        if (slashed > reward) _token.safeTransfer(sink, slashed - reward);
        emit StakeSlashed(node, slashed, reward, beneficiary, sink);
    }

    // -- Governance --

    /// @inheritdoc IStaking
    function setMinimumStake(uint256 minimumStake_) external onlyRole(GOVERNOR_ROLE) {
        _setMinimumStake(minimumStake_);
    }

    /// @inheritdoc IStaking
    function setThawingPeriod(uint64 thawingPeriod_) external onlyRole(GOVERNOR_ROLE) {
        _setThawingPeriod(thawingPeriod_);
    }

    /// @inheritdoc IStaking
    function setMaxThawRequests(uint32 maxThawRequests_) external onlyRole(GOVERNOR_ROLE) {
        _setMaxThawRequests(maxThawRequests_);
    }

    /// @inheritdoc IStaking
    function setTreasury(address treasury_) external onlyRole(GOVERNOR_ROLE) {
        _setTreasury(treasury_);
    }

    // -- Views --

    /// @inheritdoc IStaking
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IStaking
    function minimumStake() external view returns (uint256) {
        return _minimumStake;
    }

    /// @inheritdoc IStaking
    function thawingPeriod() external view returns (uint64) {
        return _thawingPeriod;
    }

    /// @inheritdoc IStaking
    function maxThawRequests() external view returns (uint32) {
        return _maxThawRequests;
    }

    /// @inheritdoc IStaking
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc IStaking
    function slashSink() public view returns (address) {
        return _treasury == address(0) ? BURN_ADDRESS : _treasury;
    }

    /// @inheritdoc IStaking
    function totalStake(address node) external view returns (uint256) {
        Account storage account = _accounts[node];
        return uint256(account.active) + account.thawingTokens;
    }

    /// @inheritdoc IStaking
    function freeStake(address node) external view returns (uint256) {
        Account storage account = _accounts[node];
        return account.active - account.locked;
    }

    /// @inheritdoc IStaking
    function lockedStake(address node) external view returns (uint256) {
        return _accounts[node].locked;
    }

    /// @inheritdoc IStaking
    function thawingStake(address node) external view returns (uint256) {
        return _accounts[node].thawingTokens;
    }

    /// @inheritdoc IStaking
    function withdrawableStake(address node) external view returns (uint256 amount) {
        Account storage account = _accounts[node];
        uint256 poolTokens = account.thawingTokens;
        uint256 poolShares = account.thawingShares;
        for (uint256 i = account.thawHead; i < account.thawTail; ++i) {
            StoredThawRequest memory request = _thawRequests[node][i];
            if (request.thawingUntil > block.timestamp) break;
            if (request.nonce != account.thawingNonce) continue;
            uint256 tokens = (uint256(request.shares) * poolTokens) / poolShares;
            poolTokens -= tokens;
            poolShares -= request.shares;
            amount += tokens;
        }
    }

    /// @inheritdoc IStaking
    function thawRequests(address node) external view returns (ThawRequest[] memory requests) {
        Account storage account = _accounts[node];
        requests = new ThawRequest[](account.thawTail - account.thawHead);
        for (uint256 i = 0; i < requests.length; ++i) {
            StoredThawRequest memory request = _thawRequests[node][account.thawHead + i];
            uint256 tokens =
                request.nonce == account.thawingNonce && account.thawingShares > 0
                    ? (uint256(request.shares) * account.thawingTokens) / account.thawingShares
                    : 0;
            requests[i] = ThawRequest({tokens: tokens, thawingUntil: request.thawingUntil});
        }
    }

    // -- Internal --

    function _stake(uint256 amount) private {
        if (amount == 0) revert StakingZeroAmount();
        _accounts[msg.sender].active += amount.toUint128();
        _token.safeTransferFrom(msg.sender, address(this), amount);
        emit StakeDeposited(msg.sender, amount);
    }

    function _setMinimumStake(uint256 value) private {
        _checkBounds("minimumStake", value, MIN_MINIMUM_STAKE, MAX_MINIMUM_STAKE);
        _minimumStake = value;
        emit MinimumStakeSet(value);
    }

    function _setThawingPeriod(uint64 value) private {
        _checkBounds("thawingPeriod", value, MIN_THAWING_PERIOD, MAX_THAWING_PERIOD);
        _thawingPeriod = value;
        emit ThawingPeriodSet(value);
    }

    function _setMaxThawRequests(uint32 value) private {
        _checkBounds("maxThawRequests", value, 1, MAX_THAW_REQUESTS_CAP);
        _maxThawRequests = value;
        emit MaxThawRequestsSet(value);
    }

    function _setTreasury(address value) private {
        _treasury = value;
        emit TreasurySet(value);
    }

    function _checkBounds(bytes32 parameter, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert StakingParameterOutOfBounds(parameter, value, min, max);
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }
}

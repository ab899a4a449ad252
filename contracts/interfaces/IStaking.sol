// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IStaking
/// @notice Node operators stake the protocol token here. Stake is the collateral behind every result a node
/// commits: the inference role locks part of it per open commitment, and the slasher role (the dispute manager)
/// slashes it when a result is proven wrong.
/// @dev Accounting per node:
///  - `active` stake is deposited and not thawing. `locked` is the part of active stake that backs open
///    commitments; `free = active - locked`.
///  - `thawing` stake has been asked back with `thaw` and can be withdrawn once its thawing period has passed.
///    It stays slashable until then (Livepeer's gap: stake must not escape a pending dispute by thawing).
///  - Thaw requests hold shares of the node's thawing pool, so a slash of thawing stake reduces every request
///    pro rata in O(1), as in The Graph's Horizon staking.
/// A slash takes free stake first, then thawing stake (pro rata across requests), and locked stake last.
/// Solvency: the contract's token balance always equals the sum over nodes of active + thawing stake.
interface IStaking {
    /// @notice One pending thaw request, as returned by `thawRequests`.
    /// @param tokens The tokens the request is worth now (after any slash of the thawing pool).
    /// @param thawingUntil The timestamp from which the request can be withdrawn.
    struct ThawRequest {
        uint256 tokens;
        uint64 thawingUntil;
    }

    // -- Events --

    /// @notice `node` deposited `amount` tokens of active stake.
    event StakeDeposited(address indexed node, uint256 amount);
    /// @notice `node` moved `amount` of free stake into thawing; withdrawable from `thawingUntil`.
    event StakeThawed(address indexed node, uint256 amount, uint64 thawingUntil);
    /// @notice `node` withdrew `amount` tokens of thawed stake, settling `requests` thaw requests.
    event StakeWithdrawn(address indexed node, uint256 amount, uint256 requests);
    /// @notice The inference role locked `amount` of the node's free stake as collateral.
    event StakeLocked(address indexed node, uint256 amount, uint256 lockedTotal);
    /// @notice The inference role released `amount` of the node's locked stake.
    event StakeUnlocked(address indexed node, uint256 amount, uint256 lockedTotal);
    /// @notice `amount` of the node's stake was slashed: `reward` went to `beneficiary`, the rest to `sink`
    /// (the treasury, or the burn address when no treasury is set).
    event StakeSlashed(address indexed node, uint256 amount, uint256 reward, address indexed beneficiary, address sink);
    event MinimumStakeSet(uint256 minimumStake);
    event ThawingPeriodSet(uint64 thawingPeriod);
    event MaxThawRequestsSet(uint32 maxThawRequests);
    event TreasurySet(address treasury);

    // -- Errors --

    error StakingZeroAmount();
    error StakingZeroAddress();
    error StakingInsufficientFreeStake(address node, uint256 free, uint256 needed);
    error StakingTooManyThawRequests(address node, uint256 maxThawRequests);
    error StakingNothingToWithdraw(address node);
    error StakingRewardTooHigh(uint32 rewardPpm, uint32 maxRewardPpm);
    error StakingParameterOutOfBounds(bytes32 parameter, uint256 value, uint256 min, uint256 max);

    // -- Staking --

    /// @notice Deposit `amount` tokens from the caller as the caller's active stake. Needs a prior approval.
    function stake(uint256 amount) external;

    /// @notice `stake`, with an EIP-2612 permit instead of a prior approval.
    function stakeWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;

    /// @notice Start thawing `amount` of the caller's free stake. It stays slashable until withdrawn.
    /// @dev Reverts when more than `maxThawRequests` requests would be pending.
    function thaw(uint256 amount) external;

    /// @notice Withdraw every thaw request of the caller whose thawing period has passed, oldest first.
    /// @dev Requests are settled in order; a request stops the sweep at the first one still thawing.
    /// @return amount The tokens transferred to the caller.
    function withdraw() external returns (uint256 amount);

    // -- Collateral (INFERENCE_ROLE) --

    /// @notice Lock `amount` of `node`'s free stake as collateral for an open commitment.
    function lock(address node, uint256 amount) external;

    /// @notice Release up to `amount` of `node`'s locked stake. Collateral already consumed by a slash cannot be
    /// released twice, so the release is capped at what is still locked.
    /// @return released The amount actually released.
    function unlock(address node, uint256 amount) external returns (uint256 released);

    // -- Slashing (SLASHER_ROLE) --

    /// @notice Slash up to `amount` of `node`'s stake (capped at its total stake). `rewardPpm` parts per million of
    /// the slashed amount go to `beneficiary`; the rest goes to the treasury, or is burned when none is set.
    /// @dev Order: free stake, then thawing stake pro rata across requests, then locked stake.
    /// @return slashed The amount actually slashed.
    function slash(
        address node,
        uint256 amount,
        address beneficiary,
        uint32 rewardPpm
    ) external returns (uint256 slashed);

    // -- Governance (GOVERNOR_ROLE) --

    function setMinimumStake(uint256 minimumStake) external;

    function setThawingPeriod(uint64 thawingPeriod) external;

    function setMaxThawRequests(uint32 maxThawRequests) external;

    /// @notice Where the non-reward part of a slash goes. The zero address means "burn".
    function setTreasury(address treasury) external;

    // -- Views --

    /// @notice The staked token.
    function token() external view returns (address);

    function minimumStake() external view returns (uint256);

    function thawingPeriod() external view returns (uint64);

    function maxThawRequests() external view returns (uint32);

    function treasury() external view returns (address);

    /// @notice Where the non-reward part of a slash goes now: the treasury, or the burn address when none is set.
    function slashSink() external view returns (address);

    /// @notice Active + thawing stake: everything that can still be slashed.
    function totalStake(address node) external view returns (uint256);

    /// @notice Active stake not locked as collateral: what can be thawed or locked.
    function freeStake(address node) external view returns (uint256);

    function lockedStake(address node) external view returns (uint256);

    function thawingStake(address node) external view returns (uint256);

    /// @notice What `withdraw` would pay `node` now.
    function withdrawableStake(address node) external view returns (uint256);

    /// @notice The node's pending thaw requests, oldest first.
    function thawRequests(address node) external view returns (ThawRequest[] memory);
}

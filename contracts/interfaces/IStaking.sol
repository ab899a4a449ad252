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
    /// @param amount The tokens to stake (> 0).
    function stake(uint256 amount) external;

    /// @notice `stake`, with an EIP-2612 permit instead of a prior approval.
    /// @dev A permit that fails (e.g. front-run, so the allowance is already set) is ignored; the transfer decides.
    /// @param amount The tokens to stake (> 0), also the permit's value.
    /// @param deadline The permit's deadline.
    /// @param v The permit signature's v.
    /// @param r The permit signature's r.
    /// @param s The permit signature's s.
    function stakeWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;

    /// @notice Start thawing `amount` of the caller's free stake. It stays slashable until withdrawn.
    /// @dev Reverts when more than `maxThawRequests` requests would be pending.
    /// @param amount The free stake to thaw (> 0), withdrawable after `thawingPeriod`.
    function thaw(uint256 amount) external;

    /// @notice Withdraw every thaw request of the caller whose thawing period has passed, oldest first.
    /// @dev Requests are settled in order; a request stops the sweep at the first one still thawing.
    /// @return amount The tokens transferred to the caller.
    function withdraw() external returns (uint256 amount);

    // -- Collateral (INFERENCE_ROLE) --

    /// @notice Lock `amount` of `node`'s free stake as collateral for an open commitment.
    /// @param node The committing node.
    /// @param amount The collateral (> 0), at most the node's free stake.
    function lock(address node, uint256 amount) external;

    /// @notice Release up to `amount` of `node`'s locked stake. Collateral already consumed by a slash cannot be
    /// released twice, so the release is capped at what is still locked.
    /// @param node The node whose collateral is released.
    /// @param amount The collateral to release (> 0).
    /// @return released The amount actually released.
    function unlock(address node, uint256 amount) external returns (uint256 released);

    // -- Slashing (SLASHER_ROLE) --

    /// @notice Slash up to `amount` of `node`'s stake (capped at its total stake). `rewardPpm` parts per million of
    /// the slashed amount go to `beneficiary`; the rest goes to the treasury, or is burned when none is set.
    /// @dev Order: free stake, then thawing stake pro rata across requests, then locked stake.
    /// @param node The node proven wrong.
    /// @param amount The most to slash (> 0).
    /// @param beneficiary Receives the reward (may be the zero address only when `rewardPpm` is 0).
    /// @param rewardPpm The beneficiary's share of the slash, at most MAX_REWARD_PPM (50%).
    /// @return slashed The amount actually slashed.
    function slash(
        address node,
        uint256 amount,
        address beneficiary,
        uint32 rewardPpm
    ) external returns (uint256 slashed);

    // -- Governance (GOVERNOR_ROLE) --

    /// @notice Governance: the free stake a node needs to register and to be eligible for requests.
    /// @param minimumStake MIN_MINIMUM_STAKE ..= MAX_MINIMUM_STAKE tokens.
    function setMinimumStake(uint256 minimumStake) external;

    /// @notice Governance: how long thawing stake stays slashable before it can be withdrawn (new thaws only).
    /// @param thawingPeriod MIN_THAWING_PERIOD ..= MAX_THAWING_PERIOD seconds.
    function setThawingPeriod(uint64 thawingPeriod) external;

    /// @notice Governance: the most thaw requests a node may have pending.
    /// @param maxThawRequests 1 ..= MAX_THAW_REQUESTS_CAP.
    function setMaxThawRequests(uint32 maxThawRequests) external;

    /// @notice Where the non-reward part of a slash goes. The zero address means "burn".
    /// @param treasury The treasury, or the zero address to burn.
    function setTreasury(address treasury) external;

    // -- Views --

    /// @notice The staked token.
    /// @return The token's address.
    function token() external view returns (address);

    /// @notice The free stake a node needs to register and to be eligible for requests (NodeRegistry).
    /// @return The minimum, in tokens.
    function minimumStake() external view returns (uint256);

    /// @notice How long a new thaw request stays slashable before it can be withdrawn.
    /// @return The period, in seconds.
    function thawingPeriod() external view returns (uint64);

    /// @notice The most thaw requests a node may have pending.
    /// @return The cap.
    function maxThawRequests() external view returns (uint32);

    /// @notice The treasury set by governance (the zero address: none, slashes are burned).
    /// @return The treasury, or the zero address.
    function treasury() external view returns (address);

    /// @notice Where the non-reward part of a slash goes now: the treasury, or the burn address when none is set.
    /// @return The treasury or BURN_ADDRESS.
    function slashSink() external view returns (address);

    /// @notice Active + thawing stake: everything that can still be slashed.
    /// @param node The node.
    /// @return The stake, in tokens.
    function totalStake(address node) external view returns (uint256);

    /// @notice Active stake not locked as collateral: what can be thawed or locked.
    /// @param node The node.
    /// @return The stake, in tokens.
    function freeStake(address node) external view returns (uint256);

    /// @notice Active stake locked as collateral behind open commitments.
    /// @param node The node.
    /// @return The stake, in tokens.
    function lockedStake(address node) external view returns (uint256);

    /// @notice Stake asked back with `thaw` and not withdrawn yet (after any slash of the thawing pool).
    /// @param node The node.
    /// @return The stake, in tokens.
    function thawingStake(address node) external view returns (uint256);

    /// @notice What `withdraw` would pay `node` now.
    /// @param node The node.
    /// @return The tokens of its thaw requests whose period has passed, oldest first up to the first still thawing.
    function withdrawableStake(address node) external view returns (uint256);

    /// @notice The node's pending thaw requests, oldest first.
    /// @param node The node.
    /// @return Each request's current tokens and the time it can be withdrawn from.
    function thawRequests(address node) external view returns (ThawRequest[] memory);
}

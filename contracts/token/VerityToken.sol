// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title VerityToken
/// @notice The protocol token for local and test deployments: an ERC20 with EIP-2612 permit. Production
/// deployments may stake any ERC20; Staking takes the token address at deploy time.
contract VerityToken is ERC20, ERC20Burnable, ERC20Permit, AccessControl {
    string public constant VERSION = "0.1.0";

    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    error VerityTokenZeroAddress();

    /// @param admin Receives DEFAULT_ADMIN_ROLE and MINTER_ROLE.
    /// @param initialHolder Receives `initialSupply`.
    constructor(
        address admin,
        address initialHolder,
        uint256 initialSupply
    ) ERC20("Verity", "VRT") ERC20Permit("Verity") {
        if (admin == address(0)) revert VerityTokenZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
        if (initialSupply > 0) _mint(initialHolder, initialSupply);
    }

    /// @notice Mint `amount` to `to`. MINTER_ROLE.
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }
}

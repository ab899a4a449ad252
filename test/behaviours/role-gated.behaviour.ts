import { expect } from "chai";
import { ethers } from "hardhat";
import type { BaseContract } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { method, titled } from "./subject";
import type { MethodName, Subject } from "./subject";

/**
 * Asserts that the contract's role constant `role` (e.g. "GOVERNOR_ROLE") is keccak256 of its name, as every Verity
 * role is, that `caller` does not hold it, and that `send()` then reverts with OpenZeppelin's
 * `AccessControlUnauthorizedAccount(caller, role)`.
 */
export async function expectReservedTo(
  contract: BaseContract,
  role: string,
  caller: HardhatEthersSigner,
  send: () => Promise<unknown>,
): Promise<void> {
  const id: string = await method(contract, role)();
  expect(id).to.equal(ethers.id(role));
  expect(await method(contract, "hasRole")(id, caller.address)).to.equal(
    false,
    `${caller.address} holds ${role}: it cannot show the gate`,
  );
  await expect(send())
    .to.be.revertedWithCustomError(contract, "AccessControlUnauthorizedAccount")
    .withArgs(caller.address, id);
}

/** A call of a gated function, sent by `caller` through `contract` (already connected to the caller). */
export type GatedCall<F, C> = (contract: C, caller: HardhatEthersSigner, f: F) => Promise<unknown>;

export interface RoleGatedSpec<F, C extends BaseContract> extends Subject<F, C> {
  /** The role constant's getter, e.g. "SLASHER_ROLE". */
  role: NoInfer<MethodName<C>>;
  /** Accounts without the role (a stranger, and any other role holder worth showing refused). */
  callers: (f: F) => HardhatEthersSigner[];
  /** Each gated function, by name, called with arguments that would otherwise be accepted. */
  calls: Partial<Record<NoInfer<MethodName<C>>, GatedCall<F, C>>>;
  /** The test/PROPERTIES.md id the gate stands for. */
  id?: string;
}

/**
 * Only `role` may call each function in `calls`: one test per function, every caller in `callers` reverted with
 * `AccessControlUnauthorizedAccount(caller, role)`.
 */
export function shouldBehaveLikeRoleGated<F, C extends BaseContract>(spec: RoleGatedSpec<F, C>): void {
  const calls = Object.entries(spec.calls) as [string, GatedCall<F, C> | undefined][];
  if (calls.length === 0) throw new Error("shouldBehaveLikeRoleGated: no call to check");
  for (const [name, call] of calls) {
    it(titled(spec.id, `${name} is reserved to ${spec.role}`), async function () {
      const f = await spec.fixture();
      const contract = spec.contract(f);
      const callers = spec.callers(f);
      expect(callers).to.not.be.empty;
      for (const caller of callers) {
        await expectReservedTo(contract, spec.role, caller, () => call!(contract.connect(caller) as C, caller, f));
      }
    });
  }
}

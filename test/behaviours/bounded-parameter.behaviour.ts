import { expect } from "chai";
import { ethers } from "hardhat";
import type { BaseContract } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { expectReservedTo } from "./role-gated.behaviour";
import { method, titled } from "./subject";
import type { EventName, MethodName, Subject } from "./subject";

export interface BoundedParameterSpec<F, C extends BaseContract> extends Subject<F, C> {
  governor: (f: F) => HardhatEthersSigner;
  /** An account without the role. */
  stranger: (f: F) => HardhatEthersSigner;
  setter: NoInfer<MethodName<C>>;
  getter: NoInfer<MethodName<C>>;
  /** Emitted with the new value on every change. */
  event: NoInfer<EventName<C>>;
  /** The custom error of an out-of-bounds value: `error(bytes32 parameter, value, min, max)`. */
  error: string;
  /** The name the error carries (as bytes32); the getter's name unless given. */
  parameter?: string;
  /** The hard bounds, both inclusive. */
  min: bigint;
  max: bigint;
  /** A value within the bounds other than the fixture's. */
  value: bigint;
  /** The role constant's getter; GOVERNOR_ROLE unless given. */
  role?: NoInfer<MethodName<C>>;
  /** test/PROPERTIES.md ids: of the bounds and events, and of the role. */
  ids?: { bounds?: string; role?: string };
}

/**
 * A governance parameter with hard bounds [min, max]: the governor sets any value within them (both bounds included),
 * with an event and the getter reading it back; a value just outside reverts `error(parameter, value, min, max)`
 * and changes nothing; anyone else reverts `AccessControlUnauthorizedAccount(account, role)`.
 */
export function shouldBehaveLikeBoundedParameter<F, C extends BaseContract>(spec: BoundedParameterSpec<F, C>): void {
  const { setter, getter, event, error, min, max, value, ids = {} } = spec;
  const role = spec.role ?? "GOVERNOR_ROLE";
  if (!(min < max && min <= value && value <= max)) {
    throw new Error(`shouldBehaveLikeBoundedParameter(${setter}): need min < max and value within them`);
  }
  const parameter = ethers.encodeBytes32String(spec.parameter ?? getter);
  const outside = min > 0n ? [min - 1n, max + 1n] : [max + 1n]; // an unsigned parameter has nothing below 0
  const set = (c: C, who: HardhatEthersSigner, v: bigint) => method(c.connect(who), setter)(v);
  const read = async (c: C): Promise<bigint> => method(c, getter)();

  describe(setter, function () {
    it(
      titled(ids.bounds, `sets a value within its bounds, emits ${event} and ${getter}() reads it back`),
      async function () {
        const f = await spec.fixture();
        const c = spec.contract(f);
        expect(await read(c)).to.not.equal(value, `${value} is the fixture's ${getter}: pick another value`);
        await expect(set(c, spec.governor(f), value))
          .to.emit(c, event)
          .withArgs(value);
        expect(await read(c)).to.equal(value);
      },
    );

    it(titled(ids.bounds, `accepts both bounds with ${event} and reverts ${error} outside them`), async function () {
      const f = await spec.fixture();
      const c = spec.contract(f);
      for (const v of [min, max]) {
        await expect(set(c, spec.governor(f), v))
          .to.emit(c, event)
          .withArgs(v);
        expect(await read(c)).to.equal(v);
      }
      for (const bad of outside) {
        await expect(set(c, spec.governor(f), bad))
          .to.be.revertedWithCustomError(c, error)
          .withArgs(parameter, bad, min, max);
      }
      expect(await read(c)).to.equal(max);
    });

    it(titled(ids.role, `is reserved to ${role}`), async function () {
      const f = await spec.fixture();
      const c = spec.contract(f);
      const before = await read(c);
      await expectReservedTo(c, role, spec.stranger(f), () => set(c, spec.stranger(f), value));
      expect(await read(c)).to.equal(before);
    });
  });
}

import type { BaseContract, FunctionFragment } from "ethers";

/**
 * What every behaviour is pointed at: a fixture giving a fresh state for each test (usually `() => loadFixture(x)`,
 * with `x` a named function so that Hardhat snapshots it once) and the contract under test in that state. Type the
 * accessor's parameter (`contract: (f: ProtocolFixture) => f.staking`): TypeScript then knows the contract's type
 * before it checks the function, event and role names a behaviour is given.
 */
export interface Subject<F, C extends BaseContract> {
  fixture: () => Promise<F>;
  contract: (f: F) => C;
}

/** The names of a TypeChain contract's functions, so that a misspelt setter, getter or role is a type error. */
export type MethodName<C> = {
  [K in keyof C & string]: C[K] extends { fragment: FunctionFragment } ? K : never;
}[keyof C & string];

/** The names of a TypeChain contract's events. */
export type EventName<C extends BaseContract> = keyof C["filters"] & string;

/** Calls `name` on `contract` (a view, or a transaction sent by the contract's runner). */
export function method(contract: BaseContract, name: string) {
  return contract.getFunction(name);
}

/** A test title carrying the test/PROPERTIES.md id it checks, when there is one. */
export function titled(id: string | undefined, title: string): string {
  return id ? `${id}: ${title}` : title;
}

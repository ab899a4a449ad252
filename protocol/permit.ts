/**
 * EIP-2612 permits for the protocol token, signed by any ethers v6 signer: used by the CLI, the scripts and the
 * tests, so the typed-data layout lives in one place.
 */
import { Signature, type Signer } from "ethers";

/** What a permit needs from the token contract (any ERC20Permit, e.g. a TypeChain VerityToken). */
export interface PermitToken {
  name(): Promise<string>;
  nonces(owner: string): Promise<bigint>;
  getAddress(): Promise<string>;
}

const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** `owner`'s permit for `spender` to take `value` tokens until `deadline`, as the (v, r, s) the contracts take. */
export async function signPermit(
  token: PermitToken,
  owner: Signer,
  spender: string,
  value: bigint,
  deadline: bigint,
): Promise<{ v: number; r: string; s: string }> {
  if (!owner.provider) throw new Error("the permit signer must be connected to a provider (for the chain id)");
  const { chainId } = await owner.provider.getNetwork();
  const ownerAddress = await owner.getAddress();
  const signature = await owner.signTypedData(
    { name: await token.name(), version: "1", chainId, verifyingContract: await token.getAddress() },
    PERMIT_TYPES,
    { owner: ownerAddress, spender, value, nonce: await token.nonces(ownerAddress), deadline },
  );
  const { v, r, s } = Signature.from(signature);
  return { v, r, s };
}

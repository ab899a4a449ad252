/**
 * protocol/revert.ts: revert data decoded by the error ABI of every compiled artifact, with arguments as they read
 * best (enums by name, token amounts in tokens, bytes32 parameter names as text, timestamps as dates).
 */
import { expect } from "chai";
import { Interface, encodeBytes32String, parseUnits } from "ethers";

import { decodeRevert, decodeRevertsIn, setTokenUnits } from "../../protocol/revert";
import { InferenceRequestStatus } from "../../protocol/constants";
import {
  IInferenceManager__factory,
  IStaking__factory,
  IStepVerifier__factory,
  IZkSettler__factory,
  INodeRegistry__factory,
} from "../../typechain-types";

const OPERATOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

function encode(abi: Interface, name: string, args: unknown[]): string {
  return abi.encodeErrorResult(name, args);
}

describe("protocol/revert: decoding custom errors", () => {
  before(() => setTokenUnits(18, "VRT"));

  it("decodes ZkSettler's and the step verifier's errors (every artifact's error ABI)", () => {
    const zk = new Interface(IZkSettler__factory.abi);
    expect(decodeRevert(encode(zk, "ZkSettlerNoVerifier", [7n]))?.text).to.equal("ZkSettlerNoVerifier(7)");
    const sv = new Interface(IStepVerifier__factory.abi);
    expect(decodeRevert(encode(sv, "StepVerifierLayerOutOfRange", [9n, 4n]))?.text).to.equal(
      "StepVerifierLayerOutOfRange(9, 4)",
    );
  });

  it("names enum arguments (InferenceManagerInvalidStatus, ZkSettlerInvalidStatus's uint8 status)", () => {
    const im = new Interface(IInferenceManager__factory.abi);
    const data = encode(im, "InferenceManagerInvalidStatus", [5n, InferenceRequestStatus.Finalized]);
    expect(decodeRevert(data)?.text).to.equal("InferenceManagerInvalidStatus(5, Finalized)");
    const zk = new Interface(IZkSettler__factory.abi);
    expect(decodeRevert(encode(zk, "ZkSettlerInvalidStatus", [3n, InferenceRequestStatus.Committed]))?.text).to.equal(
      "ZkSettlerInvalidStatus(3, Committed)",
    );
  });

  it("shows token amounts in tokens, and a gas figure as a number", () => {
    const nr = new Interface(INodeRegistry__factory.abi);
    const data = encode(nr, "NodeRegistryInsufficientStake", [OPERATOR, parseUnits("500", 18), parseUnits("1000", 18)]);
    expect(decodeRevert(data)?.text).to.equal(`NodeRegistryInsufficientStake(${OPERATOR}, 500 VRT, 1000 VRT)`);
    const st = new Interface(IStaking__factory.abi);
    expect(
      decodeRevert(encode(st, "StakingInsufficientFreeStake", [OPERATOR, parseUnits("1.5", 18), 2n * 10n ** 18n]))
        ?.text,
    ).to.equal(`StakingInsufficientFreeStake(${OPERATOR}, 1.5 VRT, 2 VRT)`);
    const im = new Interface(IInferenceManager__factory.abi);
    expect(decodeRevert(encode(im, "InferenceManagerInsufficientGas", [100n, 5000n]))?.text).to.equal(
      "InferenceManagerInsufficientGas(100, 5000)",
    );
  });

  it("shows bytes32 parameter names as text, in tokens for a token parameter, and deadlines as dates", () => {
    const st = new Interface(IStaking__factory.abi);
    const name = encodeBytes32String("minimumStake");
    const data = encode(st, "StakingParameterOutOfBounds", [name, 5n, parseUnits("1", 18), parseUnits("1000000", 18)]);
    expect(decodeRevert(data)?.text).to.equal(
      'StakingParameterOutOfBounds("minimumStake", 0.000000000000000005 VRT, 1 VRT, 1000000 VRT)',
    );
    const im = new Interface(IInferenceManager__factory.abi);
    const window = encodeBytes32String("challengeWindow");
    expect(decodeRevert(encode(im, "InferenceManagerParameterOutOfBounds", [window, 5n, 60n, 604800n]))?.text).to.equal(
      'InferenceManagerParameterOutOfBounds("challengeWindow", 5, 60, 604800)',
    );
    expect(decodeRevert(encode(im, "InferenceManagerDeadlinePassed", [1n, 1_800_000_000n]))?.text).to.equal(
      "InferenceManagerDeadlinePassed(1, 2027-01-15T08:00:00.000Z)",
    );
  });

  it("finds the reverts inside a text (an Ignition failure report) and ignores unknown selectors", () => {
    const im = new Interface(IInferenceManager__factory.abi);
    const window = encodeBytes32String("challengeWindow");
    const data = encode(im, "InferenceManagerParameterOutOfBounds", [window, 5n, 60n, 604800n]);
    const found = decodeRevertsIn(`IGN411: reverted with custom error 'data ${data}' (0xdeadbeef00)`);
    expect(found.map((d) => d.name)).to.deep.equal(["InferenceManagerParameterOutOfBounds"]);
    expect(decodeRevert("0xdeadbeef")).to.equal(null);
  });
});

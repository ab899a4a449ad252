/**
 * Compiles snarkjs' exported Groth16 verifier at run time with the `solc` npm package (solc-js 0.8.28, the
 * protocol's compiler version). A verifier is per circuit, i.e. per model version, so it is an artifact of
 * `verity model zk-setup`, not a contract of the repository: the CLI, the tests and the bench compile the file the
 * setup wrote and deploy the bytecode (docs/ZK.md).
 */
import { ZkToolError } from "./setup";

export interface CompiledVerifier {
  contractName: string;
  abi: unknown[];
  bytecode: string;
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
}

/** Compiles `source` (a snarkjs Groth16 verifier) and returns the contract `contractName`. */
export function compileVerifier(source: string, contractName = "Groth16Verifier"): CompiledVerifier {
  const input = {
    language: "Solidity",
    sources: { "Verifier.sol": { content: source } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
    },
  };
  // loaded on first use: solc-js is large, and the CLI loads this module for every command
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc") as { compile(input: string): string };
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (out.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0)
    throw new ZkToolError(`solc rejected the verifier: ${errors.map((e) => e.formattedMessage).join("\n")}`);
  const c = out.contracts?.["Verifier.sol"]?.[contractName];
  if (!c) throw new ZkToolError(`the verifier source has no contract ${contractName}`);
  return { contractName, abi: c.abi, bytecode: "0x" + c.evm.bytecode.object };
}

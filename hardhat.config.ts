import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-toolbox";

// Verity compiles offline: Hardhat's compiler download is replaced by the npm `solc` package (solcjs),
// which package.json pins to exactly SOLC_VERSION.
const SOLC_VERSION = "0.8.28";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc") as { version(): string };
  const longVersion = solc.version();
  if (!longVersion.startsWith(SOLC_VERSION)) {
    throw new Error(`npm package solc is ${longVersion}, but hardhat.config.ts expects ${SOLC_VERSION}: run npm ci`);
  }
  return { compilerPath: require.resolve("solc/soljson.js"), isSolcJs: true, version: SOLC_VERSION, longVersion };
});

// A remote network is named entirely by the environment, so no key ever lives in the repository:
//   VERITY_RPC_URL=https://... VERITY_PRIVATE_KEY=0x... npx hardhat ignition deploy ... --network remote
const remoteAccounts = process.env.VERITY_PRIVATE_KEY ? [process.env.VERITY_PRIVATE_KEY] : [];

const config: HardhatUserConfig = {
  solidity: {
    compilers: [
      {
        version: SOLC_VERSION,
        settings: {
          evmVersion: "cancun",
          optimizer: { enabled: true, runs: 10_000 },
        },
      },
    ],
    // The InferenceManager: at 10,000 runs its code would be 24.4 kB, near the 24 kB limit; 2,000 runs keep it at
    // 22.8 kB, for 20 to 60 gas per hot call (request, commit, finalize, claim; bench/inference.ts). Its cold paths
    // live in InferenceLib.
    overrides: {
      "contracts/inference/InferenceManager.sol": {
        version: SOLC_VERSION,
        settings: { evmVersion: "cancun", optimizer: { enabled: true, runs: 2_000 } },
      },
      // The RedundantManager (requests and the refereed game in one contract, with its games over generations) also
      // needs fewer runs to fit, beside its linked RedundantLib (settlement, slot and generation checks): 50 keep it
      // at 22,988 bytes.
      "contracts/redundant/RedundantManager.sol": {
        version: SOLC_VERSION,
        settings: { evmVersion: "cancun", optimizer: { enabled: true, runs: 50 } },
      },
      // The DisputeManager with the generation game's moves (revealPassRoots, selectPass, proveChoice) is 25.4 kB at
      // 10,000 runs, 23.2 kB at 1,000; 500 keep it at 21.7 kB.
      "contracts/disputes/DisputeManager.sol": {
        version: SOLC_VERSION,
        settings: { evmVersion: "cancun", optimizer: { enabled: true, runs: 500 } },
      },
    },
  },
  networks: {
    hardhat: {
      allowUnlimitedContractSize: false,
      // `npm run network` (tools/network/processes.ts) sets this for its `hardhat node`: blocks mined in the same
      // second keep that second, so the chain's clock follows the wall clock (plus the orchestrator's time travel)
      // instead of gaining a second per automined block under load.
      ...(process.env.VERITY_SAME_SECOND_BLOCKS === "1" ? { allowBlocksWithSameTimestamp: true } : {}),
    },
    localhost: { url: "http://127.0.0.1:8545" },
    remote: { url: process.env.VERITY_RPC_URL ?? "http://127.0.0.1:8545", accounts: remoteAccounts },
  },
  gasReporter: {
    enabled: process.env.REPORT_GAS === "true",
    offline: true,
    currency: "USD",
  },
  // `verity deploy` and `verity dev` poll fast on a local chain (VERITY_IGNITION_POLL_MS); Ignition's default is 1 s.
  ignition: { blockPollingInterval: Number(process.env.VERITY_IGNITION_POLL_MS ?? 1000) },
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
  // `npm test` runs the files on two mocha workers (`hardhat test --parallel`): much of the suite waits on child
  // processes and local chains, so two workers on two cores take about 7 minutes where one takes 11.
  mocha: { timeout: 120_000, jobs: 2 },
};

export default config;

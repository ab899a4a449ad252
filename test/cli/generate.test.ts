/**
 * `verity model publish --generation` and `verity generate` end to end, through `node bin/verity.js …` child
 * processes against anvil (test/helpers/cli-chain.ts). The test plays the node's part (both nodes' for a redundant
 * request): it reads the request record from the chain and commits the demo LM's answer (honestly, or with one byte
 * changed).
 */
import { expect } from "chai";
import { getBytes, NonceManager, parseEther, Wallet } from "ethers";

import { answerRequest, type GenerationTerms } from "../../executor/generate";
import { languageModel } from "../../models/lm";
import {
  IERC20__factory,
  InferenceManager__factory,
  IStaking__factory,
  INodeRegistry__factory,
  ModelRegistry__factory,
  RedundantManager__factory,
} from "../../typechain-types";
import { DEV_KEYS, rpc } from "../../tools/network/processes";
import { asKey, CliChain, writeLanguageModelDir } from "../helpers/cli-chain";
import { UNDER_COVERAGE } from "../helpers/coverage";

const [, OPERATOR, , SECOND, THIRD] = DEV_KEYS.map((k) => new Wallet(k).address);
const TERMS: GenerationTerms = { contextLength: 64, maxTokens: 8, maxPrompt: 32, padByte: 0, stopByte: 10 };
const PROMPT = "The jury said that";

(UNDER_COVERAGE ? describe.skip : describe)(
  "verity generate and model publish --generation on a JSON-RPC chain",
  function () {
    this.timeout(90_000);
    let cli: CliChain;
    let deployJson: { deployment: string; addresses: Record<string, string> };
    let versionId: string;

    before(async function () {
      this.timeout(240_000);
      cli = await CliChain.start("cli-generate");
      writeLanguageModelDir(cli.dir);
      deployJson = await cli.json(["deploy", "--deployment-id", cli.deploymentId], asKey(0));
      cli.env.VERITY_DEPLOYMENT = deployJson.deployment;
    });
    after(() => cli?.stop());

    const nodeManager = () =>
      InferenceManager__factory.connect(
        deployJson.addresses.inferenceManager,
        new NonceManager(new Wallet(DEV_KEYS[1], cli.provider)),
      );

    /** Plays the node: waits for request `id`, then commits the LM's answer (byte `lie` changed, if given). */
    async function commitAsNode(id: bigint, lie?: number): Promise<void> {
      const im = nodeManager();
      while ((await im.requestCount()) < id) await new Promise((r) => setTimeout(r, 200));
      const [ev] = await im.queryFilter(im.filters.InferenceRequested(id), 0);
      const answer = answerRequest(languageModel().program, TERMS, id, getBytes(ev.args.input));
      const output = Uint8Array.from(answer.output);
      if (lie !== undefined) output[1 + lie] ^= 1;
      await (await im.commit(id, output, answer.traceRoot)).wait();
    }

    /**
     * Plays the nodes of redundant request `id` (dev keys `keys`): waits for it, then each commits the LM's answer
     * seeded by the RedundantManager's request id (byte `lie` changed, if given: the same lie from every node).
     */
    async function commitRedundantAsNodes(
      running: Promise<{ status: number | null; stderr: string }>,
      id: bigint,
      keys: number[],
      lie?: number,
    ): Promise<void> {
      let exited: { status: number | null; stderr: string } | null = null;
      void running.then((r) => (exited = r));
      const rm = RedundantManager__factory.connect(deployJson.addresses.redundantManager, cli.provider);
      while ((await rm.requestCount()) < id) {
        if (exited) throw new Error(`generate exited before its request: ${JSON.stringify(exited)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const [ev] = await rm.queryFilter(rm.filters.RedundantRequested(id), 0);
      const answer = answerRequest(languageModel().program, TERMS, id, getBytes(ev.args.input));
      const output = Uint8Array.from(answer.output);
      if (lie !== undefined) output[1 + lie] ^= 1;
      for (const k of keys) {
        const node = rm.connect(new NonceManager(new Wallet(DEV_KEYS[k], cli.provider)));
        await (await node.commit(id, output, answer.traceRoot, [], [])).wait();
      }
    }

    it("model publish --generation registers a generation version: records as shapes, the terms in the registry", async () => {
      const r = await cli.json<{ versionId: string; generation: GenerationTerms }>(
        ["model", "publish", "lm", "--name", "byte-lm", "--generation", "--max-tokens", "8", "--max-prompt", "32"],
        asKey(0),
      );
      versionId = r.versionId;
      expect(r.generation).to.deep.equal(TERMS);
      const models = ModelRegistry__factory.connect(deployJson.addresses.modelRegistry, cli.provider);
      const g = await models.generationOf(BigInt(versionId));
      expect([g.contextLength, g.maxTokens, g.maxPrompt, g.padByte, g.hasStop, g.stopByte]).to.deep.equal([
        64n,
        8n,
        32n,
        0n,
        true,
        10n,
      ]);
      const v = await models.getVersion(BigInt(versionId));
      expect([...v.inputShape]).to.deep.equal([35n]);
      expect([...v.outputShape]).to.deep.equal([9n]);
      // model list tells a generation version by its terms
      const list = await cli.json<{ versions: { versionId: string; generation: GenerationTerms | null }[] }>(
        ["model", "list"],
        asKey(0),
      );
      const rows = new Map(list.versions.map((r) => [r.versionId, r.generation]));
      expect(rows.get(versionId)).to.deep.equal(TERMS);
    });

    it("model publish --generation refuses a context the program does not read and mode zk (exit 2)", async () => {
      const bad = await cli.verity(
        ["model", "publish", "lm", "--name", "x", "--generation", "--context", "32"],
        asKey(0),
      );
      expect(bad.status).to.equal(2);
      expect(bad.stderr).to.contain("the program reads 64 bytes of context");
      const zk = await cli.verity(["model", "publish", "lm", "--name", "x", "--generation", "--modes", "zk"], asKey(0));
      expect(zk.status).to.equal(2);
      expect(zk.stderr).to.contain("refuses ZK");
    });

    it("generate refuses a prompt too long, too many tokens and a version that does not generate (exit 2), and a missing --prompt (exit 64)", async () => {
      const long = await cli.verity(["generate", "--model", versionId, "--prompt", "x".repeat(33)], asKey(2));
      expect(long.status).to.equal(2);
      expect(long.stderr).to.contain("the prompt is 33 bytes; this version takes at most 32");
      const many = await cli.verity(["generate", "--model", "byte-lm", "--prompt", "a", "--max-tokens", "9"], asKey(2));
      expect(many.status).to.equal(2);
      expect(many.stderr).to.contain("maxTokens must be an integer in [1, 8]");
      const plain = await cli.json<{ versionId: string }>(["model", "publish", "lm", "--name", "lm-plain"], asKey(0));
      const notGen = await cli.verity(["generate", "--model", plain.versionId, "--prompt", "a"], asKey(2));
      expect(notGen.status).to.equal(2);
      expect(notGen.stderr).to.contain("is not a generation version");
      const usage = await cli.verity(["generate", "--model", versionId], asKey(2));
      expect(usage.status).to.equal(64);
    });

    it("generate --wait --verify --json streams the local generation, reports MATCH and the text, and finalizes after the window", async () => {
      await cli.ok(["token", "transfer", OPERATOR, "1500"], asKey(0));
      await cli.ok(["token", "transfer", new Wallet(DEV_KEYS[2]).address, "20"], asKey(0));
      await cli.ok(["node", "stake", "1000", "--permit"], asKey(1));
      await cli.ok(["node", "register", "--endpoint", "http://127.0.0.1:7001", "--serve", versionId], asKey(1));
      const running = cli.verity(
        ["generate", "--model", "byte-lm", "--prompt", PROMPT, "--max-tokens", "8", "--node", OPERATOR].concat([
          "--wait",
          "--verify",
          "--timeout",
          "60",
          "--json",
        ]),
        asKey(2),
      );
      await commitAsNode(1n);
      await new Promise((r) => setTimeout(r, 1500));
      await rpc(cli.url, "evm_increaseTime", [3_601]);
      await rpc(cli.url, "evm_mine");
      const r = await running;
      expect(r.status, r.stderr).to.equal(0);
      const out = JSON.parse(r.stdout) as {
        status: string;
        text: string;
        generation: { verdict: string; expected: { text: string } };
      };
      expect(out.status).to.equal("Finalized");
      expect(out.generation.verdict).to.equal("MATCH");
      expect(out.text).to.equal(out.generation.expected.text);
      expect(out.text.length).to.be.greaterThan(0);
      // Not a terminal: one progress line per pass on stderr.
      expect(r.stderr).to.match(/generating: pass 1\/8: "/);
    });

    it("result of a generation request shows its text, and --verify generates it again (MATCH)", async () => {
      const r = await cli.json<{ text: string; generation: { verdict: string; expected: { text: string } } }>(
        ["result", "1", "--verify"],
        asKey(2),
      );
      expect(r.generation.verdict).to.equal("MATCH");
      expect(r.text).to.equal(r.generation.expected.text);
      const plain = await cli.ok(["result", "1"]);
      expect(plain.stdout).to.match(/\ntext\s+"/);
    });

    it("generate --verify exits 3 with MISMATCH when the node changed one byte, and says which text it expected", async () => {
      const running = cli.verity(
        ["generate", "--model", versionId, "--prompt", PROMPT, "--max-tokens", "8", "--node", OPERATOR, "--verify"],
        asKey(2),
      );
      await commitAsNode(2n, 3);
      const r = await running;
      expect(r.status, r.stderr).to.equal(3);
      expect(r.stdout).to.contain("MISMATCH");
      expect(r.stderr).to.contain("MISMATCH: request 2's committed generation differs from the local one");
    });

    it("generate without --wait prints the request id (--json)", async () => {
      const r = await cli.json<{ requestId: string; versionId: string }>(
        ["generate", "--model", versionId, "--prompt", "It was", "--max-tokens", "4", "--temperature-shift", "2"],
        asKey(2),
      );
      expect(r).to.deep.include({ requestId: "3", versionId });
    });

    it("generate --redundant refuses --node and --nodes without --redundant (exit 2) before sending anything", async () => {
      const node = await cli.verity(
        ["generate", "--model", versionId, "--prompt", "a", "--redundant", "2", "--node", OPERATOR],
        asKey(2),
      );
      expect(node.status).to.equal(2);
      expect(node.stderr).to.contain("--redundant asks k nodes of the RedundantManager");
      const nodes = await cli.verity(
        ["generate", "--model", versionId, "--prompt", "a", "--nodes", `${OPERATOR},${SECOND}`],
        asKey(2),
      );
      expect(nodes.status).to.equal(2);
      expect(nodes.stderr).to.contain("--nodes names the nodes of a redundant request");
    });

    it("generate refuses a mode a generation cannot be asked in, and --mode with --redundant (exit 2) before sending anything", async () => {
      const rm = RedundantManager__factory.connect(deployJson.addresses.redundantManager, cli.provider);
      const im = InferenceManager__factory.connect(deployJson.addresses.inferenceManager, cli.provider);
      const before = [await im.requestCount(), await rm.requestCount()];
      for (const [args, message] of [
        [["--mode", "zk"], "cannot be asked in the zk mode"],
        [["--mode", "fast"], "unknown mode 'fast'"],
        [["--mode", "tee", "--redundant", "2"], "whose refereed game is the optimistic one"],
      ] as const) {
        const r = await cli.verity(["generate", "--model", versionId, "--prompt", "a", ...args], asKey(2));
        expect(r.status, args.join(" ")).to.equal(2);
        expect(r.stderr).to.contain(message);
      }
      expect([await im.requestCount(), await rm.requestCount()]).to.deep.equal(before);
    });

    it("generate --redundant 2 --nodes --wait --verify --json: a sampled generation seeded by the RedundantManager's request id, Finalized when both nodes agree, MATCH", async () => {
      // Two more operators serve the version (OPERATOR's free stake is locked by request 2), set up directly: CLI
      // processes take seconds each.
      const a = deployJson.addresses;
      const governor = new NonceManager(new Wallet(DEV_KEYS[0], cli.provider));
      const token = IERC20__factory.connect(a.token, governor);
      await (await token.transfer(new Wallet(DEV_KEYS[2]).address, parseEther("20"))).wait();
      for (const k of [3, 4]) {
        const node = new NonceManager(new Wallet(DEV_KEYS[k], cli.provider));
        await (await token.transfer(await node.getAddress(), parseEther("1000"))).wait();
        await (await token.connect(node).approve(a.staking, parseEther("1000"))).wait();
        await (await IStaking__factory.connect(a.staking, node).stake(parseEther("1000"))).wait();
        await (
          await INodeRegistry__factory.connect(a.nodeRegistry, node).register(`http://127.0.0.1:700${k}`, [versionId])
        ).wait();
      }
      const running = cli.verity(
        ["generate", "--model", versionId, "--prompt", PROMPT, "--max-tokens", "8", "--temperature-shift", "2"].concat([
          "--redundant",
          "2",
          "--nodes",
          `${SECOND},${THIRD}`,
          "--wait",
          "--verify",
          "--timeout",
          "60",
          "--json",
        ]),
        asKey(2),
      );
      await commitRedundantAsNodes(running, 1n, [3, 4]);
      const r = await running;
      expect(r.status, r.stderr).to.equal(0);
      const out = JSON.parse(r.stdout) as {
        redundantRequestId: string;
        status: string;
        slots: { node: string; status: string }[];
        text: string;
        generation: { verdict: string; expected: { text: string } };
      };
      expect(out).to.deep.include({ redundantRequestId: "1", status: "Finalized" });
      expect(out.slots.map((x) => [x.node, x.status])).to.deep.equal([
        [SECOND, "Paid"],
        [THIRD, "Paid"],
      ]);
      expect(out.generation.verdict).to.equal("MATCH");
      expect(out.text).to.equal(out.generation.expected.text);
      expect(r.stderr).to.match(/generating: pass 1\/8: "/);
    });

    it("generate --redundant --verify exits 3 with MISMATCH when both nodes agree on a changed byte", async () => {
      const running = cli.verity(
        ["generate", "--model", versionId, "--prompt", PROMPT, "--max-tokens", "8", "--redundant", "2"].concat([
          "--nodes",
          `${THIRD},${SECOND}`,
          "--verify",
          "--timeout",
          "60",
        ]),
        asKey(2),
      );
      await commitRedundantAsNodes(running, 2n, [4, 3], 2);
      const r = await running;
      expect(r.status, r.stderr).to.equal(3);
      expect(r.stdout).to.match(/status\s+Finalized/);
      expect(r.stdout).to.contain("MISMATCH");
      expect(r.stderr).to.contain("MISMATCH: redundant request 2's finalized generation differs from the local one");
    });
  },
);

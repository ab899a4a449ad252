/**
 * The TEE verification mode on the command line (docs/TEE.md):
 *   operators   `verity node tee-keygen <file>`     a software enclave key (NOT hardware-protected) in a file
 *               `verity node tee-register`          bind that key to the node with an attestation
 *               `verity node serve --mode tee --enclave-key <file>`  (node-serve.ts, through `teeSettlers` below)
 *   governance  `verity tee approve-measurement|revoke-measurement|add-service-key|remove-service-key`
 *   everyone    `verity tee show [--enclave <address>]`
 * The TeeSettler is found through `InferenceManager.modeSettler(TEE)`, so the deployment file needs no new entry.
 */
import { Wallet, ZeroAddress, isHexString, type Signer } from "ethers";
import type { Command } from "commander";

import type { EcdsaAttestationVerifier, TeeSettler } from "../../typechain-types";
import type { VerifiedSettler } from "../../modes/verified";
import { VerificationModes } from "../../protocol/constants";
import { attach } from "../../protocol/contracts";
import { attestationDomain, signAttestation } from "../../modes/tee/eip712";
import { createEnclaveKey, loadEnclaveKey, SOFTWARE_KEY_WARNING } from "../../modes/tee/enclave-key";
import { TeeVerifiedSettler } from "../../modes/tee/settler";
import { connect, type Protocol, read, send, signerOf } from "../chain";
import { globalsOf } from "../config";
import { CliError } from "../errors";
import { parseAddress, toJson } from "../values";
import { formatPairs } from "../table";

const MEASUREMENT_STATUS = ["None", "Approved", "Revoked"] as const;

function warn(): void {
  process.stderr.write(`warning: ${SOFTWARE_KEY_WARNING}\n`);
}

async function teeContracts(
  p: Protocol,
  runner: Signer | Protocol["provider"] = p.wallet ?? p.provider,
): Promise<{ settler: TeeSettler; verifier: EcdsaAttestationVerifier }> {
  const address = await read("modeSettler(TEE)", () => p.inferenceManager.modeSettler(VerificationModes.TEE));
  if (address === ZeroAddress) {
    throw new CliError(
      "this deployment has no TEE settler (InferenceManager.modeSettler(4) is zero)",
      "deploy with ignition/modules/Protocol.ts, which wires the TeeSettler, or set one with setModeSettler",
    );
  }
  const settler = attach("TeeSettler", address, runner);
  const verifierAddress = await read("attestationVerifier", () => settler.attestationVerifier());
  return { settler, verifier: attach("EcdsaAttestationVerifier", verifierAddress, runner) };
}

function parseBytes32(text: string, what: string): string {
  if (!isHexString(text, 32))
    throw new CliError(`${what} '${text}' is not 32 bytes of hex`, "e.g. 0x followed by 64 hex digits");
  return text;
}

function print(json: boolean | undefined, lines: [string, string][], obj: Record<string, unknown>): void {
  process.stdout.write(json ? toJson(obj) + "\n" : formatPairs(lines));
}

// -- Operators -----------------------------------------------------------------------------------------------------

function keygen(file: string, opts: { json?: boolean }): void {
  warn();
  const wallet = createEnclaveKey(file);
  const { measurement } = loadEnclaveKey(file);
  print(
    opts.json,
    [
      ["enclave key", `${wallet.address} (software enclave key: NOT hardware-protected)`],
      ["measurement", measurement],
      ["file", `${file} (mode 0600)`],
      ["next", "verity node tee-register --enclave-key " + file],
    ],
    { enclaveKey: wallet.address, measurement, file, hardwareProtected: false },
  );
}

interface RegisterOptions {
  enclaveKey: string;
  attestation?: string;
  serviceKey?: string;
  expiryDays: string;
  json?: boolean;
}

async function register(opts: RegisterOptions, cmd: Command): Promise<void> {
  warn();
  const p = await connect(globalsOf(cmd), { needKey: true });
  const me = signerOf(p);
  const { wallet: enclave, measurement } = loadEnclaveKey(opts.enclaveKey);
  const days = Number(opts.expiryDays);
  if (!Number.isInteger(days) || days < 1 || days > 365) {
    throw new CliError(`--expiry-days ${opts.expiryDays} is not an integer in 1..365`, "e.g. --expiry-days 30");
  }
  const now = BigInt((await p.provider.getBlock("latest"))!.timestamp);
  const expiry = now + BigInt(days) * 86_400n;
  const { settler, verifier } = await teeContracts(p, me);
  let attestation = opts.attestation;
  if (attestation === undefined) {
    const serviceKey = opts.serviceKey ?? process.env.VERITY_ATTESTATION_SERVICE_KEY;
    if (serviceKey === undefined) {
      throw new CliError(
        "no attestation: pass --attestation <hex> from your attestation service, or --service-key for a local one",
        "with the reference EcdsaAttestationVerifier, the service key must be registered (`verity tee add-service-key`)",
      );
    }
    const service = new Wallet(serviceKey);
    const domain = attestationDomain(p.chainId, await verifier.getAddress());
    attestation = await signAttestation(service, domain, {
      measurement,
      enclaveKey: enclave.address,
      node: me.address,
      expiry,
    });
  }
  const receipt = await send("registerEnclave", () =>
    settler.registerEnclave(measurement, enclave.address, expiry, attestation),
  );
  print(
    opts.json,
    [
      ["node", me.address],
      ["enclave key", `${enclave.address} (software enclave key: NOT hardware-protected)`],
      ["measurement", measurement],
      ["expires", new Date(Number(expiry) * 1000).toISOString()],
      ["tx", `${receipt.hash} (gas ${receipt.gasUsed})`],
    ],
    { node: me.address, enclaveKey: enclave.address, measurement, expiry, tx: receipt.hash, gasUsed: receipt.gasUsed },
  );
}

/**
 * The verified settlers `verity node serve` passes to the daemon for `--mode` (a comma list; "tee" is handled
 * here): a TeeVerifiedSettler with the software enclave key of `--enclave-key`.
 */
export async function teeSettlers(
  p: Protocol,
  signer: Signer,
  modes: string[],
  enclaveKeyFile: string | undefined,
): Promise<Map<number, VerifiedSettler>> {
  const settlers = new Map<number, VerifiedSettler>();
  if (!modes.includes("tee")) return settlers;
  if (enclaveKeyFile === undefined) {
    throw new CliError("--mode tee needs --enclave-key <file>", "create one with `verity node tee-keygen <file>`");
  }
  warn();
  const { wallet } = loadEnclaveKey(enclaveKeyFile);
  const { settler } = await teeContracts(p, signer);
  const enclave = await read("getEnclave", () => settler.getEnclave(wallet.address));
  const me = await signer.getAddress();
  if (enclave.node.toLowerCase() !== me.toLowerCase() || !(await settler.isEnclaveActive(wallet.address))) {
    throw new CliError(
      `enclave key ${wallet.address} is not active for ${me} (registered to ${enclave.node}, disabled ${enclave.disabled})`,
      "register it with `verity node tee-register --enclave-key <file>` (and check its measurement is approved)",
    );
  }
  settlers.set(VerificationModes.TEE, await TeeVerifiedSettler.create(signer, await settler.getAddress(), wallet));
  return settlers;
}

// -- Governance and views ------------------------------------------------------------------------------------------

async function governance(
  what: "approveMeasurement" | "revokeMeasurement" | "addServiceKey" | "removeServiceKey",
  arg: string,
  opts: { json?: boolean },
  cmd: Command,
): Promise<void> {
  const p = await connect(globalsOf(cmd), { needKey: true });
  const me = signerOf(p);
  const { settler, verifier } = await teeContracts(p, me);
  let receipt;
  if (what === "approveMeasurement" || what === "revokeMeasurement") {
    const m = parseBytes32(arg, "measurement");
    receipt = await send(what, () => settler[what](m));
  } else {
    const key = parseAddress(arg, "service key");
    receipt = await send(what, () => verifier[what](key));
  }
  print(
    opts.json,
    [
      [what, arg],
      ["tx", `${receipt.hash} (gas ${receipt.gasUsed})`],
    ],
    { action: what, arg, tx: receipt.hash },
  );
}

async function show(opts: { enclave?: string; measurement?: string; json?: boolean }, cmd: Command): Promise<void> {
  const p = await connect(globalsOf(cmd));
  const { settler, verifier } = await teeContracts(p);
  const obj: Record<string, unknown> = {
    settler: await settler.getAddress(),
    attestationVerifier: await verifier.getAddress(),
    equivocationSlash: await settler.equivocationSlash(),
    equivocationRewardPpm: await settler.equivocationRewardPpm(),
  };
  try {
    obj.serviceKeys = await verifier.serviceKeyCount();
  } catch {
    obj.serviceKeys = "n/a (not the reference verifier)";
  }
  if (opts.measurement !== undefined) {
    const m = parseBytes32(opts.measurement, "--measurement");
    obj.measurementStatus = MEASUREMENT_STATUS[Number(await settler.measurementStatus(m))];
  }
  if (opts.enclave !== undefined) {
    const key = parseAddress(opts.enclave, "--enclave");
    const e = await settler.getEnclave(key);
    obj.enclave = {
      key,
      node: e.node,
      measurement: e.measurement,
      expiry: e.expiry,
      disabled: e.disabled,
      active: await settler.isEnclaveActive(key),
    };
  }
  const lines = Object.entries(obj).map(([k, v]): [string, string] => [
    k,
    typeof v === "object" ? toJson(v) : String(v),
  ]);
  print(opts.json, lines, obj);
}

export function registerTeeCommands(cli: Command): void {
  const node = cli.commands.find((c) => c.name() === "node") ?? cli.command("node").description("operators");
  node
    .command("tee-keygen <file>")
    .description("create a SOFTWARE enclave key (NOT hardware-protected: a key in a file stands in for a TEE's key)")
    .option("--json", "machine-readable output")
    .action((file: string, opts: { json?: boolean }) => keygen(file, opts));
  node
    .command("tee-register")
    .description("bind the enclave key to this node on the TeeSettler with an attestation (TEE mode)")
    .requiredOption("--enclave-key <file>", "the enclave key file (`verity node tee-keygen`)")
    .option("--attestation <hex>", "an attestation blob from your attestation service")
    .option(
      "--service-key <key>",
      "sign the attestation here with this local attestation-service key (env VERITY_ATTESTATION_SERVICE_KEY)",
    )
    .option("--expiry-days <n>", "attestation lifetime in days (1..365)", "30")
    .option("--json", "machine-readable output")
    .action(async (opts: RegisterOptions, cmd: Command) => register(opts, cmd));

  const tee = cli
    .command("tee")
    .description("the TEE verification mode: measurements, attestation service keys, enclaves");
  const gov = (
    name: string,
    arg: string,
    what: "approveMeasurement" | "revokeMeasurement" | "addServiceKey" | "removeServiceKey",
    description: string,
  ) =>
    tee
      .command(`${name} <${arg}>`)
      .description(description)
      .option("--json", "machine-readable output")
      .action(async (value: string, opts: { json?: boolean }, cmd: Command) => governance(what, value, opts, cmd));
  gov("approve-measurement", "measurement", "approveMeasurement", "governor: approve an enclave measurement (bytes32)");
  gov("revoke-measurement", "measurement", "revokeMeasurement", "governor: revoke a measurement, at once and for good");
  gov(
    "add-service-key",
    "address",
    "addServiceKey",
    "governor: register an attestation-service key (reference verifier)",
  );
  gov("remove-service-key", "address", "removeServiceKey", "governor: remove an attestation-service key");
  tee
    .command("show")
    .description("the TEE settler's parameters, and optionally one measurement's status or one enclave key")
    .option("--measurement <bytes32>", "show this measurement's status")
    .option("--enclave <address>", "show this enclave key's binding")
    .option("--json", "machine-readable output")
    .action(async (opts: { enclave?: string; measurement?: string; json?: boolean }, cmd: Command) => show(opts, cmd));
}

/**
 * The software enclave key: an ethers Wallet held in a JSON file.
 *
 * SOFTWARE ENCLAVE KEY: NOT HARDWARE-PROTECTED. A real TEE node generates its enclave key inside the enclave and
 * never lets it out; the attestation document binds the key to the enclave's measurement. Here the key lives in a
 * plain file on disk, so anyone who reads the file can sign results as the "enclave". It exists so that the TEE
 * mode's on-chain path (attestation, signed results, equivocation) can be run and tested without hardware.
 */
import { Wallet, hexlify, keccak256, toUtf8Bytes } from "ethers";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import { VerityError } from "../../executor/errors";

/** Printed by every CLI command that loads or creates a software enclave key. */
export const SOFTWARE_KEY_WARNING =
  "software enclave key: NOT hardware-protected (a key in a file stands in for a key sealed inside a TEE)";

/** The measurement the software enclave reports: a fixed label hash, standing in for a PCR / MRENCLAVE value. */
export const SOFTWARE_MEASUREMENT = keccak256(toUtf8Bytes("verity/software-enclave/executor-v0.1.0"));

interface EnclaveKeyFile {
  kind: "verity-software-enclave-key";
  warning: string;
  address: string;
  privateKey: string;
  measurement: string;
}

export class EnclaveKeyFileError extends VerityError {}

/** Creates a new random software enclave key in `file` (mode 0600). Refuses to overwrite an existing file. */
export function createEnclaveKey(file: string, measurement = SOFTWARE_MEASUREMENT): Wallet {
  if (existsSync(file)) {
    throw new EnclaveKeyFileError(`${file} already exists: refusing to overwrite an enclave key (pick another path)`);
  }
  const wallet = Wallet.createRandom();
  const body: EnclaveKeyFile = {
    kind: "verity-software-enclave-key",
    warning: SOFTWARE_KEY_WARNING,
    address: wallet.address,
    privateKey: wallet.privateKey,
    measurement: hexlify(measurement),
  };
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, JSON.stringify(body, null, 2) + "\n", { mode: 0o600 });
  chmodSync(file, 0o600);
  return new Wallet(wallet.privateKey);
}

/** Loads a software enclave key and the measurement it reports. */
export function loadEnclaveKey(file: string): { wallet: Wallet; measurement: string } {
  let body: EnclaveKeyFile;
  try {
    body = JSON.parse(readFileSync(file, "utf8")) as EnclaveKeyFile;
  } catch (err) {
    throw new EnclaveKeyFileError(
      `cannot read enclave key ${file}: ${(err as Error).message} (create one with 'verity node tee-keygen')`,
    );
  }
  if (body.kind !== "verity-software-enclave-key" || typeof body.privateKey !== "string") {
    throw new EnclaveKeyFileError(`${file} is not a Verity software enclave key file`);
  }
  const wallet = new Wallet(body.privateKey);
  if (wallet.address !== body.address) {
    throw new EnclaveKeyFileError(`${file}: the address does not match the private key`);
  }
  return { wallet, measurement: body.measurement ?? SOFTWARE_MEASUREMENT };
}

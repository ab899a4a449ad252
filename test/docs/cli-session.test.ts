/**
 * docs/CLI.md's "A session on a local chain", run as written: the fenced shell block is extracted and each line
 * runs through bash in a scratch folder (with `bin/` and `models/` linked from the repository), so that the docs
 * cannot drift from the CLI. `export` and `source` lines update the session's environment; a line ending in `&` is
 * started in its own process group (`verity dev`: the test waits for its `.verity/dev.env`) and stopped by the test
 * (SIGINT, so `verity dev` removes its deployment record, then SIGKILL of the group). Every other line must exit 0:
 * the request's `--wait --verify` line exits 0 only on MATCH once the request is Finalized.
 *
 * The one liberty the test takes: once the chain is up, each one-second block advances the chain's clock by
 * CLOCK_STEP seconds (anvil_setBlockTimestampInterval), so the 60 s challenge window passes in 20 s (and the
 * challenger still has those 20 s to dispute the liar's result on a busy machine).
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { UNDER_COVERAGE } from "../helpers/coverage";

const ROOT = path.join(__dirname, "..", "..");
const DOC = path.join(ROOT, "docs", "CLI.md");
/** Chain seconds per one-second block during the test. */
const CLOCK_STEP = 3;
/** How long one foreground line may run. */
const LINE_TIMEOUT_MS = 120_000;

/** The lines of the first ```sh block under `heading` in `markdown`: continuations joined, comments dropped. */
export function sessionLines(markdown: string, heading: string): string[] {
  const from = markdown.indexOf(heading);
  if (from < 0) throw new Error(`no '${heading}' in the document`);
  const block = /```sh\n([\s\S]*?)```/.exec(markdown.slice(from));
  if (!block) throw new Error(`no sh block under '${heading}'`);
  return block[1]
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

interface Run {
  code: number | null;
  out: string;
}

function bash(line: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs = LINE_TIMEOUT_MS): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", line], { cwd, env, detached: true });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  return body.result;
}

/** `export` lines of a sourced file, or one `export K=V` line, evaluated by bash in `env`. */
async function exportsOf(line: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const r = await bash(`set -e\n${line}\nenv -0`, cwd, env, 10_000);
  if (r.code !== 0) throw new Error(`'${line}' failed: ${r.out}`);
  const out: Record<string, string> = {};
  for (const entry of r.out.split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

describe("docs/CLI.md: the session on a local chain, as written", () => {
  it("extracts the session: a dev chain, the daemons in the background, a verified request, a liar", () => {
    const lines = sessionLines(fs.readFileSync(DOC, "utf8"), "## A session on a local chain");
    expect(lines[0]).to.match(/verity\.js dev &$/);
    expect(lines.some((l) => /node serve .*&$/.test(l))).to.equal(true);
    expect(lines.some((l) => /challenger run .*&$/.test(l))).to.equal(true);
    expect(lines.some((l) => /request .*--wait --verify/.test(l))).to.equal(true);
    expect(lines.some((l) => /cheating-node\.ts .*&$/.test(l))).to.equal(true);
  });

  (UNDER_COVERAGE ? it.skip : it)(
    "runs every line: a verified, finalized result, and a slashed liar",
    async function () {
      this.timeout(240_000);
      const lines = sessionLines(fs.readFileSync(DOC, "utf8"), "## A session on a local chain");
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verity-docs-"));
      for (const link of ["bin", "models", "tools", "node_modules", "tsconfig.json"])
        fs.symlinkSync(path.join(ROOT, link), path.join(dir, link));
      let env: NodeJS.ProcessEnv = { ...process.env, VERITY_HOME: "", VERITY_PRIVATE_KEY: "", VERITY_DEPLOYMENT: "" };
      delete env.VERITY_HOME;
      const background: ChildProcess[] = [];
      const timings: string[] = [];
      const started = Date.now();
      try {
        for (const line of lines) {
          const t0 = Date.now();
          if (/^(export|source) /.test(line)) {
            env = { ...env, ...(await exportsOf(line, dir, env)) };
          } else if (line.endsWith("&")) {
            const child = spawn("bash", ["-c", `exec ${line.slice(0, -1)}`], { cwd: dir, env, detached: true });
            let out = "";
            child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
            child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
            background.push(child);
            if (/ dev\b/.test(line)) {
              const envFile = path.join(dir, ".verity", "dev.env");
              while (!fs.existsSync(envFile) || !/ready/.test(out)) {
                if (child.exitCode !== null) throw new Error(`'${line}' exited ${child.exitCode}:\n${out}`);
                if (Date.now() - t0 > LINE_TIMEOUT_MS) throw new Error(`'${line}' not ready:\n${out}`);
                await new Promise((r) => setTimeout(r, 200));
              }
              const url = /export VERITY_RPC_URL=(\S+)/.exec(fs.readFileSync(envFile, "utf8"))![1];
              await rpc(url, "anvil_setBlockTimestampInterval", [CLOCK_STEP]);
            }
          } else {
            const r = await bash(line, dir, env);
            expect(r.code, `${line}\n${r.out}`).to.equal(0);
            if (/--verify/.test(line))
              expect(r.out)
                .to.match(/MATCH/)
                .and.not.match(/MISMATCH/);
            if (/^node bin\/verity\.js result /.test(line)) expect(r.out).to.match(/status\s+Finalized/);
            if (/--node \$OPERATOR2 --wait/.test(line))
              expect(r.out, "the liar's request").to.match(/status\s+Rejected/);
            if (/node status \$OPERATOR2/.test(line)) expect(r.out, "the liar").to.match(/status\s+Jailed/);
          }
          timings.push(`${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s  ${line}`);
        }
        const logs = fs.readFileSync(path.join(dir, "node.log"), "utf8");
        expect(logs, "the node daemon's log").to.match(/commit/i);
        expect(fs.readFileSync(path.join(dir, "challenger.log"), "utf8"), "the challenger's log").to.match(/slashed/);
      } finally {
        const total = ((Date.now() - started) / 1000).toFixed(1);
        if (process.env.DOCS_SESSION_TIMINGS) console.log(`${timings.join("\n")}\n${total} s in all`);
        // The daemons first, then the chain; SIGINT lets `verity dev` remove its deployment record.
        for (const child of background.reverse()) {
          killGroup(child, "SIGINT");
          if (!(await exited(child, 10_000))) killGroup(child, "SIGKILL");
        }
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

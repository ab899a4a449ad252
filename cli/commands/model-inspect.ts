/**
 * `verity model inspect <model.onnx> [--json]`: what Verity makes of an ONNX model, offline (no chain, no
 * calibration data): its opset and operators, each node supported or not with the reason (every refusal, not only
 * the first), the simplified (canonical) graph, and, when the model can run, the integer program's layers with their
 * state sizes and the worst one-step witness (calldata, gas) of each. Exits 2 when the model cannot be imported,
 * after printing the report.
 */
import * as path from "path";
import type { Command } from "commander";
import { inspectGraph, type InspectReport } from "../../executor/inspect";
import { decodeOnnx } from "../../executor/model/onnx";
import { MAX_STEP_PROOF_CALLDATA, MAX_STEP_PROOF_GAS } from "../../executor/runtime/step-witness";
import { CliError } from "../errors";
import { readFileBytes } from "../io";
import { formatPairs, formatTable, section } from "../table";

interface InspectOptions {
  json?: boolean;
}

const dims = (d: readonly number[]): string => `[${d.map((x) => (x < 1 ? "?" : String(x))).join(", ")}]`;

export function formatInspect(r: InspectReport): string {
  const parts: string[] = [];
  parts.push(
    formatPairs([
      ["model", r.name],
      ["opset", `${r.opset} (normalized to the opset-${r.canonicalOpset} form)`],
      ["inputs", r.inputs.map((i) => `${i.name} ${dims(i.dims)} -> ${dims(i.bound)}`).join(", ")],
      ["outputs", r.outputs.map((o) => `${o.name} ${dims(o.dims)}`).join(", ")],
      [
        "operators",
        Object.entries(r.operators)
          .map(([op, n]) => `${op} x${n}`)
          .join(", "),
      ],
      [
        "status",
        r.refusals.length > 0
          ? `refused: ${r.refusals.length} problem(s), listed below`
          : r.programError
            ? `refused when compiling the program: ${r.programError}`
            : "supported",
      ],
    ]),
  );
  parts.push(
    section(
      "\nnodes",
      formatTable(
        ["node", "op", "status", "detail"],
        r.nodes.map((n) => [n.name, n.op, n.status, n.detail ?? ""]),
      ),
    ),
  );
  if (r.refusals.length > 0) parts.push(section("\nrefusals", r.refusals.map((m) => `- ${m}\n`).join("")));
  parts.push(
    section(
      `\nsimplified graph (${r.simplified.nodes.length} nodes, ${r.simplified.constants} constant tensors)`,
      r.simplified.nodes
        .map((n) => `  ${n.name}: ${n.op}(${n.inputs.join(", ")}) -> ${n.outputs.join(", ")}\n`)
        .join(""),
    ),
  );
  const p = r.program;
  if (p) {
    const worst = p.layers.reduce((a, b) => (b.gas > a.gas ? b : a), p.layers[0]);
    parts.push(
      section(
        `\nprogram (${p.layers.length} layers; input ${p.inputBytes} bytes, output ${p.outputBytes} bytes)`,
        formatTable(
          ["layer", "op", "output", "state bytes", "proof calldata", "proof gas", "witness"],
          p.layers.map((l) => [
            String(l.index),
            l.op,
            dims(l.outShape),
            String(l.stateBytes),
            String(l.calldata),
            String(l.gas),
            l.witness,
          ]),
        ) +
          `worst one-step proof: layer ${worst.index} (${worst.op}), ${worst.gas} gas, ${worst.calldata} bytes of ` +
          `calldata (limits ${MAX_STEP_PROOF_GAS} gas, ${MAX_STEP_PROOF_CALLDATA} bytes)\n`,
      ),
    );
  }
  return parts.join("");
}

function inspectModel(file: string, opts: InspectOptions): void {
  const graph = decodeOnnx(readFileBytes(file, "model"), { name: path.basename(file).replace(/\.onnx$/i, "") });
  const report = inspectGraph(graph);
  process.stdout.write(opts.json ? JSON.stringify(report) + "\n" : formatInspect(report));
  const problems = report.refusals.length + (report.programError ? 1 : 0);
  if (problems > 0) {
    throw new CliError(
      `'${file}' cannot be imported: ${problems} problem(s), listed in the report above`,
      "each refusal names the node and the reason; docs/MODEL_IMPORT.md lists what Verity accepts at each opset",
    );
  }
}

export function registerInspectCommand(model: Command): void {
  model
    .command("inspect")
    .description(
      "offline: the opset and operators of an ONNX model, each node supported or not (with the reason), the " +
        "simplified graph, and the program's layers, state sizes and worst one-step proof (calldata, gas)",
    )
    .argument("<model.onnx>", "float ONNX model")
    .option("--json", "print the report as one JSON line")
    .action((file: string, opts: InspectOptions) => inspectModel(file, opts));
}

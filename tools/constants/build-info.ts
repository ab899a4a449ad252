/**
 * Reads the Solidity ASTs of the protocol's sources out of Hardhat's build-info files (artifacts/build-info/*.json,
 * the solc standard-JSON input and output of each compilation), and finds in them the declarations that
 * protocol/constants.ts mirrors: every enum, and the constants of contracts and libraries.
 *
 * Each source is read from the build-info its current artifacts point at (`<Contract>.dbg.json`), so a build-info
 * left over from an earlier compilation is never consulted.
 */
import * as fs from "fs";
import * as path from "path";

/** The few fields of a solc AST node the generator reads (compact JSON AST, solc 0.8). */
export interface AstNode {
  id: number;
  nodeType: string;
  src: string;
  name?: string;
  nodes?: AstNode[];
  members?: AstNode[];
  contractKind?: "contract" | "interface" | "library";
  constant?: boolean;
  visibility?: string;
  typeDescriptions?: { typeString?: string };
  value?: AstNode | string;
  kind?: string;
  hexValue?: string;
  subdenomination?: string;
  operator?: string;
  leftExpression?: AstNode;
  rightExpression?: AstNode;
  subExpression?: AstNode;
  prefix?: boolean;
  components?: (AstNode | null)[];
  expression?: AstNode;
  arguments?: AstNode[];
  memberName?: string;
  referencedDeclaration?: number;
  documentation?: { text?: string };
}

interface BuildInfo {
  input: { sources: Record<string, { content: string }> };
  output: { sources: Record<string, { ast: AstNode }> };
}

/** One source file, with the build-info it came from (to resolve references to other declarations). */
export interface Source {
  path: string;
  ast: AstNode;
  unit: CompilationUnit;
}

/** A build-info: its sources' text, and every declaration by AST id. */
export class CompilationUnit {
  private readonly byId = new Map<number, AstNode>();

  constructor(readonly info: BuildInfo) {
    for (const { ast } of Object.values(info.output.sources)) this.index(ast);
  }

  private index(node: unknown): void {
    if (node === null || typeof node !== "object") return;
    if (Array.isArray(node)) {
      for (const n of node) this.index(n);
      return;
    }
    const n = node as AstNode;
    if (typeof n.id === "number" && typeof n.nodeType === "string") this.byId.set(n.id, n);
    for (const v of Object.values(n)) if (typeof v === "object") this.index(v);
  }

  declaration(id: number): AstNode | undefined {
    return this.byId.get(id);
  }

  /** The source text an AST node spans (`src` is "start:length:fileIndex", in bytes). */
  text(sourcePath: string, node: AstNode): string {
    const [start, length] = node.src.split(":").map(Number);
    const bytes = Buffer.from(this.info.input.sources[sourcePath].content, "utf8");
    return bytes.subarray(start, start + length).toString("utf8");
  }
}

/** True for the sources whose declarations protocol/constants.ts mirrors: contracts/, but not mocks or examples. */
export function isProtocolSource(sourcePath: string): boolean {
  return (
    sourcePath.startsWith("contracts/") &&
    !sourcePath.startsWith("contracts/mocks/") &&
    !sourcePath.includes("/examples/")
  );
}

function dbgFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...dbgFiles(p));
    else if (entry.name.endsWith(".dbg.json")) out.push(p);
  }
  return out;
}

/** The protocol's sources, sorted by path, each from the build-info of its current artifacts. */
export function readSources(root: string): Source[] {
  const artifacts = path.join(root, "artifacts", "contracts");
  if (!fs.existsSync(artifacts)) throw new Error(`no ${artifacts}: compile the contracts first (npx hardhat compile)`);
  const units = new Map<string, CompilationUnit>();
  const sources = new Map<string, Source>();
  for (const dbg of dbgFiles(artifacts)) {
    // artifacts/contracts/<dir>/<File>.sol/<Contract>.dbg.json
    const sourcePath = path.relative(path.join(root, "artifacts"), path.dirname(dbg)).split(path.sep).join("/");
    if (!isProtocolSource(sourcePath) || sources.has(sourcePath)) continue;
    const ref = (JSON.parse(fs.readFileSync(dbg, "utf8")) as { buildInfo: string }).buildInfo;
    const file = path.resolve(path.dirname(dbg), ref);
    let unit = units.get(file);
    if (unit === undefined) {
      unit = new CompilationUnit(JSON.parse(fs.readFileSync(file, "utf8")) as BuildInfo);
      units.set(file, unit);
    }
    const out = unit.info.output.sources[sourcePath];
    if (out === undefined) throw new Error(`${file} lacks ${sourcePath}: recompile (npx hardhat compile --force)`);
    sources.set(sourcePath, { path: sourcePath, ast: out.ast, unit });
  }
  // Sources with no contract of their own (file-level enums such as contracts/game/GameTypes.sol) have no artifact:
  // they are read from the build-info of the artifacts that import them.
  for (const unit of units.values()) {
    for (const [sourcePath, out] of Object.entries(unit.info.output.sources)) {
      const current = isProtocolSource(sourcePath) && fs.existsSync(path.join(root, sourcePath));
      if (current && !sources.has(sourcePath)) sources.set(sourcePath, { path: sourcePath, ast: out.ast, unit });
    }
  }
  return [...sources.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

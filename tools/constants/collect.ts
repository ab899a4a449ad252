/**
 * What protocol/constants.ts holds, collected from the protocol's ASTs:
 *
 * - every enum declared in contracts/ (mocks and examples aside), named after the enum; when two contracts declare
 *   enums of the same name (IInferenceManager.RequestStatus, IRedundantManager.RequestStatus), each takes the stem
 *   of its contract as a prefix (`InferenceRequestStatus`, `RedundantRequestStatus`): the contract's name without
 *   an interface's leading `I` and without a `Manager` or `Lib` suffix;
 * - the public constants of each contract, as `<Contract>Constants`;
 * - every constant, public or internal, of the libraries in contracts/libraries/ (the definitions the contracts
 *   share, such as the VerificationModes bits), as `<Library>`;
 * - `Roles`: every `*_ROLE` constant of the contracts, each once.
 */
import { isProtocolSource, type AstNode, type Source } from "./build-info";
import { Evaluator, UnsupportedExpressionError, type Value } from "./evaluate";

export interface EnumModel {
  /** The TypeScript name. */
  exportName: string;
  /** The Solidity name: `IInferenceManager.RequestStatus`, or the bare name of a file-level enum. */
  solidityName: string;
  source: string;
  doc: string;
  members: string[];
}

export interface ConstantModel {
  name: string;
  /** The declared Solidity type (`uint32`, `bytes32`, ...). */
  type: string;
  value: Value;
  /** The initializer as written in the source, whitespace collapsed. */
  expression: string;
  doc: string;
}

export interface GroupModel {
  exportName: string;
  contract: string;
  kind: "contract" | "library";
  source: string;
  constants: ConstantModel[];
}

export interface ConstantsModel {
  enums: EnumModel[];
  groups: GroupModel[];
  roles: ConstantModel[];
}

/** A NatSpec comment as one line: the text of its first tag (`@notice`, `@dev`), without the other tags. */
function docOf(node: AstNode): string {
  const text = node.documentation?.text ?? "";
  const first = text.split(/\n\s*@(?!notice|dev)/)[0];
  return first
    .replace(/@(notice|dev)\s*/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

/** `IInferenceManager` -> `Inference`, `InferenceLib` -> `Inference`, `INodeRegistry` -> `NodeRegistry`. */
export function stemOf(contract: string): string {
  return contract.replace(/^I(?=[A-Z])/, "").replace(/(Manager|Lib)$/, "");
}

function enumsOf(sources: Source[]): EnumModel[] {
  const found: { scope: string | null; node: AstNode; source: string }[] = [];
  for (const s of sources) {
    for (const top of s.ast.nodes ?? []) {
      if (top.nodeType === "EnumDefinition") found.push({ scope: null, node: top, source: s.path });
      if (top.nodeType !== "ContractDefinition") continue;
      for (const n of top.nodes ?? [])
        if (n.nodeType === "EnumDefinition") found.push({ scope: top.name!, node: n, source: s.path });
    }
  }
  const count = new Map<string, number>();
  for (const f of found) count.set(f.node.name!, (count.get(f.node.name!) ?? 0) + 1);
  return found.map(({ scope, node, source }) => {
    const name = node.name!;
    const clash = count.get(name)! > 1;
    if (clash && scope === null)
      throw new Error(`file-level enum ${name} (${source}) shares its name with another enum: rename one`);
    return {
      exportName: clash ? `${stemOf(scope!)}${name}` : name,
      solidityName: scope === null ? name : `${scope}.${name}`,
      source,
      doc: docOf(node),
      members: (node.members ?? []).map((m) => m.name!),
    };
  });
}

function groupsOf(sources: Source[]): GroupModel[] {
  const groups: GroupModel[] = [];
  for (const s of sources) {
    const evaluator = new Evaluator(s.unit);
    for (const c of s.ast.nodes ?? []) {
      if (c.nodeType !== "ContractDefinition") continue;
      const kind = c.contractKind;
      const shared = kind === "library" && s.path.startsWith("contracts/libraries/");
      if (kind !== "contract" && !shared) continue;
      const constants: ConstantModel[] = [];
      for (const v of c.nodes ?? []) {
        if (v.nodeType !== "VariableDeclaration" || !v.constant || (!shared && v.visibility !== "public")) continue;
        let value: Value;
        try {
          value = evaluator.constant(v);
        } catch (e) {
          if (e instanceof UnsupportedExpressionError)
            throw new Error(
              `${c.name}.${v.name} (${s.path}): cannot evaluate ${e.message}; extend tools/constants/evaluate.ts`,
            );
          throw e;
        }
        const expression = s.unit
          .text(s.path, v.value as AstNode)
          .replace(/\s+/g, " ")
          .replace(/\( /g, "(")
          .replace(/ \)/g, ")");
        constants.push({ name: v.name!, type: v.typeDescriptions?.typeString ?? "", value, expression, doc: docOf(v) });
      }
      if (constants.length === 0) continue;
      groups.push({
        exportName: shared ? c.name! : `${c.name}Constants`,
        contract: c.name!,
        kind: shared ? "library" : "contract",
        source: s.path,
        constants,
      });
    }
  }
  return groups;
}

function rolesOf(groups: GroupModel[]): ConstantModel[] {
  const roles = new Map<string, ConstantModel>();
  for (const g of groups) {
    if (g.kind !== "contract") continue;
    for (const c of g.constants) {
      if (!c.name.endsWith("_ROLE") || c.value.kind !== "bytes") continue;
      const seen = roles.get(c.name);
      if (seen !== undefined && seen.value.kind === "bytes" && seen.value.hex !== c.value.hex) {
        throw new Error(`${c.name} has two values (${seen.value.hex} and ${c.value.hex} in ${g.contract})`);
      }
      roles.set(c.name, { ...c, doc: "" });
    }
  }
  return [...roles.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Collects the model from the protocol's sources (build-info.ts `readSources`). */
export function collect(sources: Source[]): ConstantsModel {
  const protocol = sources.filter((s) => isProtocolSource(s.path));
  const enums = enumsOf(protocol);
  const groups = groupsOf(protocol);
  const names = new Set<string>(["Roles"]);
  for (const n of [...enums.map((e) => e.exportName), ...groups.map((g) => g.exportName)]) {
    if (names.has(n)) throw new Error(`two declarations would both be exported as ${n}: rename one in contracts/`);
    names.add(n);
  }
  return { enums, groups, roles: rolesOf(groups) };
}

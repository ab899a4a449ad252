/**
 * test/PROPERTIES.md lists every invariant with the test that checks it, and that test carries the row's id in its
 * title. This suite keeps both sides honest: every id of the table must appear in the title of an `it(...)`,
 * `describe(...)` or titled hook of a test source (test/**\/*.ts), or be passed as a string literal to a shared behaviour
 * (`shouldBehaveLike…({ ids: { bounds: "S9" } })`, which writes it into its titles); and no id is defined twice.
 *
 * The sources are parsed with the TypeScript compiler, so an id in a comment or a test body does not count. An id
 * counts in a title only on word boundaries, followed by `:`, `,` or a space ("R1" does not match "R10-1: …").
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import ts from "typescript";

const ROOT = path.join(__dirname, "..", "..");
const TEST_DIR = path.join(ROOT, "test");
const PROPERTIES = path.join(TEST_DIR, "PROPERTIES.md");

const ID = String.raw`[A-Z]{1,2}[0-9]+(?:-[0-9]+)?`;
/** A table row's id cell: `| S1 | …`. */
const ROW = new RegExp(String.raw`^\|\s*(${ID})\s*\|`);
/** An id inside a title: not preceded by a word character or `-`, followed by `:`, `,` or a space. */
const IN_TITLE = new RegExp(String.raw`(?<![\w-])(${ID})(?=[:, ])`, "g");
const EXACT = new RegExp(String.raw`^${ID}$`);

/**
 * The rows checked by a tool rather than by a mocha test, with what their "Checked by" cell must cite. D5 (the import
 * graph obeys the layers) is `npm run lint:deps`, which runs before the tests; a mocha copy would cost every test run
 * half a minute of dependency-cruiser.
 */
const CHECKED_BY_TOOL = new Map([["D5", "npm run lint"]]);

export interface Row {
  id: string;
  /** The row's last cell. */
  checkedBy: string;
}

/** Every row of `markdown`'s tables, in order, duplicates kept; throws on a row without a well-formed id. */
export function tableRows(markdown: string): Row[] {
  const rows: Row[] = [];
  for (const line of markdown.split("\n")) {
    if (!line.startsWith("|") || /^\|\s*Id\s*\|/.test(line) || /^\|[-\s|]+\|\s*$/.test(line)) continue;
    const row = ROW.exec(line);
    if (!row) throw new Error(`test/PROPERTIES.md: a table row without a well-formed id: ${line.slice(0, 80)}`);
    const cells = line.split(/(?<!\\)\|/);
    rows.push({ id: row[1], checkedBy: cells[cells.length - 2].trim() });
  }
  return rows;
}

/** The literal text pieces of an expression (string and template literals, also inside calls and `+`). */
function fragments(node: ts.Node): string[] {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [node.text];
  if (ts.isTemplateExpression(node)) return [node.head.text, ...node.templateSpans.map((s) => s.literal.text)];
  const out: string[] = [];
  node.forEachChild((child) => void out.push(...fragments(child)));
  return out;
}

/** Mocha's titled calls: a test, a suite, or a hook given a title (`after("W6: stops every child…", …)`). */
const TITLED = new Set(["it", "describe", "context", "specify", "before", "after", "beforeEach", "afterEach"]);

/** The name a call is made through: `it`, `it.skip` → `it`, `(c ? describe.skip : describe)` → `describe`. */
function calleeName(callee: ts.Expression): string | undefined {
  while (ts.isParenthesizedExpression(callee)) callee = callee.expression;
  if (ts.isConditionalExpression(callee)) return calleeName(callee.whenFalse) ?? calleeName(callee.whenTrue);
  if (ts.isPropertyAccessExpression(callee)) callee = callee.expression;
  return ts.isIdentifier(callee) ? callee.text : undefined;
}

/** The string literals a behaviour's spec carries as ids: `id: "S8"` and `ids: { bounds: "S9", role: "S8" }`. */
function specIds(node: ts.PropertyAssignment): string[] {
  const name = ts.isIdentifier(node.name) ? node.name.text : undefined;
  const init = node.initializer;
  if (name === "id") return ts.isStringLiteral(init) ? [init.text] : [];
  if (name !== "ids" || !ts.isObjectLiteralExpression(init)) return [];
  return init.properties.flatMap((p) =>
    ts.isPropertyAssignment(p) && ts.isStringLiteral(p.initializer) ? [p.initializer.text] : [],
  );
}

/**
 * The ids a test source gives its tests: in `it`/`describe` titles, and, in a file that calls a shared behaviour
 * (`shouldBehaveLike…`), as the `id`/`ids` string literals of a behaviour's spec (built inline or beforehand).
 */
export function sourceIds(source: string, fileName = "test.ts"): Set<string> {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const titled = new Set<string>();
  const spec = new Set<string>();
  let callsBehaviour = false;
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const name = calleeName(node.expression);
      if (name !== undefined && TITLED.has(name) && node.arguments.length > 0) {
        for (const text of fragments(node.arguments[0])) for (const m of text.matchAll(IN_TITLE)) titled.add(m[1]);
      } else if (name?.startsWith("shouldBehaveLike")) {
        callsBehaviour = true;
      }
    } else if (ts.isPropertyAssignment(node)) {
      for (const id of specIds(node)) if (EXACT.test(id)) spec.add(id);
    }
    node.forEachChild(visit);
  };
  visit(file);
  return callsBehaviour ? new Set([...titled, ...spec]) : titled;
}

function testSources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return testSources(full);
    return e.isFile() && e.name.endsWith(".ts") && full !== __filename ? [full] : [];
  });
}

describe("test/PROPERTIES.md ids", function () {
  const rows = tableRows(fs.readFileSync(PROPERTIES, "utf8"));
  const table = rows.map((r) => r.id);

  it("parses the table (a sanity bound, so that a broken parser cannot pass vacuously)", function () {
    expect(table.length).to.be.greaterThan(100);
    expect(table).to.include.members(["S1", "R1", "R10-1", "X10-11", "LM7"]);
  });

  it("defines every id once", function () {
    const twice = table.filter((id, i) => table.indexOf(id) !== i);
    expect(twice, `ids defined twice in test/PROPERTIES.md: ${twice.join(", ")}`).to.be.empty;
  });

  it("gives every id a test whose title carries it", function () {
    this.timeout(60_000); // parses every test source
    const found = new Set<string>();
    for (const file of testSources(TEST_DIR)) {
      for (const id of sourceIds(fs.readFileSync(file, "utf8"), file)) found.add(id);
    }
    const missing = [...new Set(table)].filter((id) => !found.has(id) && !CHECKED_BY_TOOL.has(id));
    expect(missing, `ids of test/PROPERTIES.md in no test title: ${missing.join(", ")}`).to.be.empty;
  });

  it("lets only the rows checked by a tool go without a test, and they cite the tool", function () {
    for (const [id, tool] of CHECKED_BY_TOOL) {
      const row = rows.find((r) => r.id === id);
      expect(row, `${id} is no longer in test/PROPERTIES.md: drop it from CHECKED_BY_TOOL`).to.not.be.undefined;
      expect(row!.checkedBy, `${id}'s "Checked by" cell`).to.include(tool);
    }
  });

  it("matches ids on word boundaries, in titles and behaviour arguments only", function () {
    const ids = sourceIds(
      [
        `it("R10-1: slots are named", () => {});`,
        `(c ? describe.skip : describe)("X10-4, X10-6: worst elements", () => {});`,
        `after("W6: stops every child", () => {});`,
        `it(\`LM3 \${"x"} wins\`, () => {});`,
        `it("checks XAR1: and R2x: and -R3: and R4", () => {});`,
        `shouldBehaveLikeChessClock({ ids: { clock: "G7", resolution: "G4" } });`,
        `const governed = { id: "S8", ids: { bounds: "S9" } }; shouldBehaveLikeRoleGated(governed);`,
        `const note = "S1: not a title"; // S2: a comment`,
        `expect("S3").to.equal("S3");`,
      ].join("\n"),
    );
    expect([...ids].sort()).to.deep.equal(["G4", "G7", "LM3", "R10-1", "S8", "S9", "W6", "X10-4", "X10-6"]);
    // A spec-like `id` counts only in a file that calls a behaviour.
    expect([...sourceIds(`it("plain", () => ({ id: "S4", ids: { bounds: "S5" } }));`)]).to.be.empty;
  });
});

import type { VerityError } from "../../errors";

/** What became of a node of the source graph in the import pass (executor/model/simplify/prepare.ts). */
export type NodeFate =
  | { kind: "kept" }
  | { kind: "rewritten"; changes: string[]; into: string[] }
  | { kind: "folded" }
  | { kind: "removed" }
  | { kind: "fused"; into: string; op: string }
  | { kind: "refused"; error: VerityError };

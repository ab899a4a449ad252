/**
 * Deprecated: the demo's own CID helpers are gone; use `cidBinaryOf` / `cidOf` from executor/model/cid.ts. This
 * alias remains only for bench/run.ts until its import is switched over.
 */
export { cidBinaryOf as cidV1Raw } from "../../executor/model/cid";

/**
 * The import rules of the off-chain code (`npm run lint:deps`). The folders are layers along the data flow,
 * each importing only the ones below it:
 *
 *   executor  <  models  <  protocol  <  game  <  modes  <  daemons  <  cli  <  tools, scripts, bench, test, ignition
 *
 * executor/ is pure (no chain library), so it could run in a browser. Inside daemons/, kit/ is shared by node/ and
 * challenger/, which never import each other. No module imports itself back through a circle.
 */
const PRODUCT = ["executor", "models", "protocol", "game", "modes", "daemons", "cli"];
const below = (layer) => PRODUCT.slice(0, PRODUCT.indexOf(layer) + 1);
const notBelow = (layer) => `^(${PRODUCT.filter((l) => !below(layer).includes(l)).concat(["tools", "scripts", "bench", "test", "ignition"]).join("|")})/`;

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "A circle makes a module's meaning depend on load order; break it with a lower module both can import.",
      from: {},
      to: { circular: true },
    },
    ...PRODUCT.map((layer) => ({
      name: `layer-${layer}`,
      severity: "error",
      comment: `${layer}/ imports only ${below(layer).join(", ")} (the layers below it).`,
      from: { path: `^${layer}/` },
      to: { path: notBelow(layer) },
    })),
    {
      name: "executor-is-pure",
      severity: "error",
      comment: "executor/ runs without a chain: no ethers, hardhat or contract bindings.",
      from: { path: "^executor/" },
      to: { path: "(^|/)node_modules/(ethers|hardhat|@nomicfoundation|@typechain)/|^typechain-types/" },
    },
    {
      name: "product-needs-only-dependencies",
      severity: "error",
      comment:
        "The product (the verity bin and what it loads) runs from an install without devDependencies: every package it imports is a dependency.",
      from: { path: `^(${PRODUCT.join("|")})/` },
      to: { dependencyTypes: ["npm-dev"] },
    },
    {
      name: "daemons-share-only-the-kit",
      severity: "error",
      comment: "daemons/kit is shared; daemons/node and daemons/challenger never import each other, the kit neither.",
      from: { path: "^daemons/(kit|node|challenger)/" },
      to: { path: "^daemons/(kit|node|challenger)/", pathNot: ["^daemons/$1/", "^daemons/kit/"] },
    },
  ],
  options: {
    doNotFollow: { path: "^(node_modules|typechain-types)/" },
    exclude: { path: "^(artifacts|cache)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".json"] },
  },
};

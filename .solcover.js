// solidity-coverage: test-only contracts are not part of the protocol's coverage figures.
module.exports = {
  skipFiles: ["mocks/"],
  configureYulOptimizer: true,
};

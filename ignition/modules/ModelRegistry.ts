import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** The permissionless model registry. No constructor arguments, no roles, no parameters. */
const ModelRegistryModule = buildModule("ModelRegistry", (m) => {
  const modelRegistry = m.contract("ModelRegistry");
  return { modelRegistry };
});

export default ModelRegistryModule;

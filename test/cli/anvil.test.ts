import { expect } from "chai";
import { JsonRpcProvider } from "ethers";

import { AnvilError, startAnvil } from "../../cli/dev/anvil";

describe("cli/dev/anvil: a local anvil chain with interval mining", function () {
  this.timeout(60_000);

  it("starts on 127.0.0.1 with 1 s blocks, so time passes without transactions, and stops", async () => {
    const anvil = await startAnvil({ blockTime: 1 });
    try {
      expect(anvil.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      const provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true });
      const first = await provider.getBlockNumber();
      await new Promise((r) => setTimeout(r, 2500));
      expect(await provider.getBlockNumber()).to.be.greaterThan(first);
      provider.destroy();
    } finally {
      await anvil.stop();
    }
  });

  it("refuses a negative block time", async () => {
    await startAnvil({ blockTime: -1 }).then(
      () => expect.fail("started"),
      (e: unknown) => expect(e).to.be.instanceOf(AnvilError),
    );
  });
});

/** A usage mistake found after parsing (e.g. two options that exclude each other). The CLI exits 64. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

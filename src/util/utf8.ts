/**
 * Strict UTF-8 decoding. Node's usual decoding turns every invalid byte into U+FFFD
 * without a word, so a damaged file would be read as something its author never wrote;
 * here an invalid byte is an answer of its own, with where it is.
 */
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export interface InvalidUtf8 {
  /** Position of the first invalid byte: line from 1, column from 1 in characters. */
  line: number;
  column: number;
  /** The byte's value. */
  byte: number;
}

export function decodeUtf8(bytes: Uint8Array): { text: string } | { invalid: InvalidUtf8 } {
  try {
    return { text: strict.decode(bytes) };
  } catch {
    return { invalid: locateInvalid(bytes) };
  }
}

function locateInvalid(bytes: Uint8Array): InvalidUtf8 {
  const offset = firstInvalidOffset(bytes);
  const lineStart = offset === 0 ? 0 : bytes.lastIndexOf(0x0a, offset - 1) + 1; // -1 would search from the end
  let line = 1;
  for (let index = 0; index < lineStart; index++) if (bytes[index] === 0x0a) line++;
  const column = strict.decode(bytes.subarray(lineStart, offset)).length + 1;
  return { line, column, byte: bytes[offset] ?? 0 };
}

/** The offset where the first ill-formed sequence starts (the Unicode standard's table 3-7). */
function firstInvalidOffset(bytes: Uint8Array): number {
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index]!;
    const length = sequenceLength(lead);
    if (length === 0) return index;
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    for (let next = 1; next < length; next++) {
      const byte = bytes[index + next];
      const [min, max] = next === 1 ? [low, high] : [0x80, 0xbf];
      if (byte === undefined || byte < min || byte > max) return index;
    }
    index += length;
  }
  return bytes.length;
}

function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/**
 * What a key's znode holds, so that `zkCli.sh get` shows the value itself in the usual case:
 *
 *   (empty)                                 no value: a prefix node that only holds sub-keys
 *   {"format":1,"commit":"…"}               the value's JSON; its version is the znode's
 *   #borealis {"base":3}\n{"format":1,…}    an envelope, only when one of these is needed:
 *     base     the znode's data version when the key was written onto an existing prefix
 *              node (or recreated on a node kept for its sub-keys); the key's version is
 *              the znode's version minus base, so a key always starts at 0
 *     chunks   the value is stored in chunk znodes (see chunks.ts); the manifest names them
 *
 * JSON text never starts with `#`, so the two forms cannot be confused.
 */
import { StateCorruptError } from '../types.js';

const ENVELOPE_MARK = '#borealis ';

/** Where a chunked value is: `count` znodes of write `id`, `bytes` long in all, with this SHA-256. */
export interface Manifest {
  id: string;
  count: number;
  bytes: number;
  sha256: string;
}

/** A key's value as stored: inline JSON, or a manifest of chunks. */
export interface StoredValue {
  base: number;
  inline: Buffer | null;
  chunks: Manifest | null;
}

interface EnvelopeHeader {
  base?: number;
  chunks?: Manifest;
}

/** The znode data for a value. */
export function encodeValue(value: StoredValue): Buffer {
  const inline = value.inline ?? Buffer.alloc(0);
  if (value.base === 0 && value.chunks === null) return inline;
  const header: EnvelopeHeader = {};
  if (value.base !== 0) header.base = value.base;
  if (value.chunks !== null) header.chunks = value.chunks;
  return Buffer.concat([Buffer.from(`${ENVELOPE_MARK}${JSON.stringify(header)}\n`), inline]);
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isManifest(value: unknown): value is Manifest {
  if (typeof value !== 'object' || value === null) return false;
  const { id, count, bytes, sha256 } = value as Partial<Record<keyof Manifest, unknown>>;
  return (
    typeof id === 'string' &&
    /^[\w-]+$/.test(id) &&
    isCount(count) &&
    count > 0 &&
    isCount(bytes) &&
    typeof sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(sha256)
  );
}

function parseHeader(text: string): EnvelopeHeader {
  const header = JSON.parse(text) as unknown;
  if (typeof header !== 'object' || header === null) throw new Error('envelope header is not an object');
  const { base, chunks } = header as Record<string, unknown>;
  if (base !== undefined && !isCount(base)) throw new Error(`bad base ${JSON.stringify(base)}`);
  if (chunks !== undefined && !isManifest(chunks)) throw new Error('bad chunk manifest');
  const parsed: EnvelopeHeader = {};
  if (base !== undefined) parsed.base = base;
  if (chunks !== undefined) parsed.chunks = chunks;
  return parsed;
}

/** The value a znode holds, or null for a bare prefix node. */
export function decodeValue(key: string, path: string, data: Buffer): StoredValue | null {
  if (data.length === 0) return null;
  if (!data.subarray(0, ENVELOPE_MARK.length).equals(Buffer.from(ENVELOPE_MARK))) {
    return { base: 0, inline: data, chunks: null };
  }
  const newline = data.indexOf(0x0a);
  if (newline < 0) throw new StateCorruptError(key, path, new Error('envelope without a newline'));
  let header: EnvelopeHeader;
  try {
    header = parseHeader(data.subarray(ENVELOPE_MARK.length, newline).toString('utf8'));
  } catch (error) {
    throw new StateCorruptError(key, path, error);
  }
  const rest = data.subarray(newline + 1);
  if (header.chunks !== undefined && rest.length > 0) {
    throw new StateCorruptError(key, path, new Error('both chunks and inline data'));
  }
  return {
    base: header.base ?? 0,
    inline: header.chunks === undefined ? rest : null,
    chunks: header.chunks ?? null,
  };
}

/** Parses a value's JSON; a record that is not JSON is reported with its key and znode. */
export function parseJson<T>(key: string, path: string, json: Buffer): T {
  try {
    return JSON.parse(json.toString('utf8')) as T;
  } catch (error) {
    throw new StateCorruptError(key, path, error);
  }
}

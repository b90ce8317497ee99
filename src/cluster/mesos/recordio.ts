/**
 * Mesos RecordIO framing: `record = record-size LF record-data`, where `record-size` is a
 * decimal count of BYTES (docs/recordio.md; stout `recordio.hpp` writes
 * `stringify(size) + "\n" + data`, with no trailing newline). The scheduler and operator
 * SUBSCRIBE streams use it, and HTTP chunk boundaries (or proxies) may cut the stream anywhere:
 * inside a length prefix, right after its LF, or inside a multi-byte UTF-8 character. So the
 * decoder works on bytes only and never decodes text; callers decode each complete record.
 */
import { BorealisError } from '../../errors.js';

/** 64 MiB: far above any real Mesos event, even a full GET_STATE of a big cluster. */
export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** A uint64 has at most 20 decimal digits; a longer prefix can only be garbage. */
const MAX_PREFIX_DIGITS = 20;

const LF = 0x0a;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

export interface RecordIoOptions {
  /** Records longer than this are rejected as soon as the length prefix exceeds it. */
  maxRecordBytes?: number;
}

/** A framing error. `offset` is the byte offset in the whole stream where it was detected. */
export class RecordIoError extends BorealisError {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super('MESOS_BAD_STREAM', message, {
      hint: 'the Mesos master sent a malformed event stream; check its version and any proxy between',
    });
    this.name = 'RecordIoError';
  }
}

/**
 * Incremental decoder: feed it chunks as they arrive, get back the records they complete.
 *
 * Linear in the stream length: the length prefix is parsed digit by digit as it arrives, and
 * once the length is known the record's buffer is allocated once and every data byte is
 * copied into it exactly once. Nothing else is buffered, so there is no re-scan or
 * re-concatenation of earlier bytes however the stream is chunked. Each record is a fresh
 * copy, so it stays valid if the caller's chunk buffers are later reused.
 *
 * After a framing error the stream is out of sync, so the decoder stays failed: every later
 * call throws the same error.
 */
export class RecordIoDecoder {
  private readonly maxRecordBytes: number;
  /** Bytes consumed from the stream so far; the offset of the next byte pushed. */
  private consumed = 0;
  /** Index (0-based) of the record being decoded, for error messages. */
  private recordIndex = 0;
  /** Stream offset where the current record's length prefix started. */
  private recordStart = 0;
  private prefixDigits = 0;
  private prefixValue = 0;
  /** Set once the prefix's LF is seen: the record being filled. */
  private record: Uint8Array | undefined;
  private filled = 0;
  private failure: RecordIoError | undefined;

  constructor(options: RecordIoOptions = {}) {
    const max = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RangeError(`maxRecordBytes must be a positive integer, got ${String(max)}`);
    }
    this.maxRecordBytes = max;
  }

  /** Total bytes pushed so far. */
  get bytesConsumed(): number {
    return this.consumed;
  }

  /** Bytes held for the record in progress (its prefix digits are not kept, only their value). */
  get pendingBytes(): number {
    return this.filled;
  }

  /** Decodes `chunk` and returns the records it completes, in order (possibly none). */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failure) throw this.failure;
    if (!(chunk instanceof Uint8Array)) {
      // A stream with setEncoding() yields strings, whose lengths are not byte counts.
      throw new TypeError(`RecordIO chunks must be bytes (Uint8Array), got ${typeof chunk}`);
    }
    const out: Uint8Array[] = [];
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const record = this.record;
      if (record !== undefined) {
        const take = Math.min(record.length - this.filled, n - i);
        record.set(chunk.subarray(i, i + take), this.filled);
        this.filled += take;
        i += take;
        if (this.filled === record.length) {
          out.push(record);
          this.record = undefined;
          this.filled = 0;
          this.recordIndex++;
          this.recordStart = this.consumed + i;
        }
        continue;
      }
      const byte = chunk[i]!;
      if (byte >= DIGIT_0 && byte <= DIGIT_9) {
        this.prefixDigits++;
        this.prefixValue = this.prefixValue * 10 + (byte - DIGIT_0);
        // Checked per digit so an endless or huge prefix fails before its LF ever arrives.
        if (this.prefixValue > this.maxRecordBytes) {
          this.fail(
            `record length exceeds the limit of ${this.maxRecordBytes} bytes` +
              ` (prefix starting at byte offset ${this.recordStart})`,
            this.consumed + i,
          );
        }
        if (this.prefixDigits > MAX_PREFIX_DIGITS) {
          this.fail(
            `record length prefix longer than ${MAX_PREFIX_DIGITS} digits` +
              ` (prefix starting at byte offset ${this.recordStart})`,
            this.consumed + i,
          );
        }
      } else if (byte === LF) {
        if (this.prefixDigits === 0) {
          this.fail('empty record length prefix (LF without digits)', this.consumed + i);
        }
        if (this.prefixValue === 0) {
          this.fail('zero record length (Mesos never sends empty records)', this.recordStart);
        }
        this.record = new Uint8Array(this.prefixValue);
        this.filled = 0;
        this.prefixDigits = 0;
        this.prefixValue = 0;
      } else {
        this.fail(`unexpected ${describeByte(byte)} in record length prefix`, this.consumed + i);
      }
      i++;
    }
    this.consumed += n;
    return out;
  }

  /** Declares the end of the stream; throws if it stopped inside a record. */
  end(): void {
    if (this.failure) throw this.failure;
    if (this.record !== undefined) {
      this.fail(
        `stream ended inside a record: got ${this.filled} of ${this.record.length} bytes` +
          ` (record starting at byte offset ${this.recordStart})`,
        this.consumed,
      );
    }
    if (this.prefixDigits > 0) {
      this.fail(
        `stream ended inside a record length prefix (starting at byte offset ${this.recordStart})`,
        this.consumed,
      );
    }
  }

  private fail(what: string, offset: number): never {
    this.failure = new RecordIoError(
      `RecordIO: ${what} at byte offset ${offset} (record #${this.recordIndex})`,
      offset,
    );
    throw this.failure;
  }
}

function describeByte(byte: number): string {
  const hex = `0x${byte.toString(16).padStart(2, '0')}`;
  return byte >= 0x20 && byte < 0x7f ? `byte ${hex} ('${String.fromCharCode(byte)}')` : `byte ${hex}`;
}

/**
 * Yields the records of a byte stream (e.g. an HTTP response body) and throws at the end if
 * the stream stopped mid-record. Breaking out of the loop closes the source.
 */
export async function* records(
  stream: AsyncIterable<Uint8Array>,
  options: RecordIoOptions = {},
): AsyncGenerator<Uint8Array> {
  const decoder = new RecordIoDecoder(options);
  for await (const chunk of stream) {
    yield* decoder.push(chunk);
  }
  decoder.end();
}

const encoder = new TextEncoder();

/** Frames one record the way Mesos does: decimal byte length, LF, the bytes. */
export function encodeRecord(data: string | Uint8Array): Uint8Array {
  const body = typeof data === 'string' ? encoder.encode(data) : data;
  if (body.length === 0) {
    // The decoder rejects zero lengths, as Mesos never produces them; don't emit what we refuse.
    throw new RangeError('RecordIO: cannot encode an empty record');
  }
  const prefix = encoder.encode(`${body.length}\n`);
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix, 0);
  out.set(body, prefix.length);
  return out;
}

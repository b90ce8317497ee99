import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import fc from 'fast-check';

import {
  DEFAULT_MAX_RECORD_BYTES,
  RecordIoDecoder,
  RecordIoError,
  encodeRecord,
  records,
} from '../../../src/cluster/mesos/recordio.js';
import { parseMesosJson } from '../../../src/cluster/mesos/json.js';
import { MESOS_FIXTURES } from '../../support/fixtures.js';

// Tests run from dist/test/cluster/mesos/; the shared fixtures sit beside the project root.
const FIXTURES = MESOS_FIXTURES;
const CORRECTED = `${FIXTURES}corrected/`;
const SYNTHETIC = `${FIXTURES}synthetic/`;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => utf8.decode(data);

/**
 * The oracle: a whole-buffer decoder written the obvious way (find LF, parse, slice), so the
 * streaming decoder's output is checked against something that shares none of its code.
 */
function referenceDecode(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const lf = buf.indexOf(0x0a, offset);
    assert.ok(lf > offset, `length prefix at ${offset}`);
    const prefix = buf.subarray(offset, lf).toString('latin1');
    assert.match(prefix, /^[0-9]+$/);
    const length = Number(prefix);
    assert.ok(lf + 1 + length <= buf.length, `record at ${offset} is complete`);
    out.push(buf.subarray(lf + 1, lf + 1 + length));
    offset = lf + 1 + length;
  }
  return out;
}

/** Splits `data` at the given offsets (sorted, duplicates and out-of-range ignored). */
function splitAt(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts)].filter((c) => c > 0 && c < data.length).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const p of points) {
    chunks.push(data.subarray(start, p));
    start = p;
  }
  chunks.push(data.subarray(start));
  return chunks;
}

function decodeChunks(chunks: readonly Uint8Array[], decoder = new RecordIoDecoder()): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const chunk of chunks) out.push(...decoder.push(chunk));
  decoder.end();
  return out;
}

function assertRecords(actual: readonly Uint8Array[], expected: readonly Uint8Array[], label: string): void {
  assert.equal(actual.length, expected.length, `${label}: record count`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Buffer.from(actual[i]!).equals(expected[i]!), `${label}: record #${i} bytes differ`);
  }
}

interface StreamFixture {
  name: string;
  data: Buffer;
  expected: Buffer[];
}

const recordioFiles = (dir: string): StreamFixture[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.recordio'))
    .sort()
    .map((name) => {
      const data = readFileSync(dir + name);
      return { name, data, expected: referenceDecode(data) };
    });

const corrected = recordioFiles(CORRECTED);
const synthetic = recordioFiles(SYNTHETIC);
const allStreams = [...corrected, ...synthetic];

interface Cuts {
  file: string;
  total_bytes: number;
  records: number;
  suggested_chunk_cuts: number[];
}
const cuts = JSON.parse(readFileSync(`${SYNTHETIC}stream-with-utf8.cuts.json`, 'utf8')) as Cuts;
const cutStream = synthetic.find((f) => f.name === cuts.file);

describe('RecordIO fixtures', () => {
  it('finds the fixtures', () => {
    assert.ok(corrected.length >= 11, `corrected/*.recordio: ${corrected.length}`);
    assert.deepEqual(
      synthetic.map((f) => f.name),
      ['stream-with-utf8.recordio', 'utf8-multibyte.recordio'],
    );
  });

  it('corrected/X.recordio holds exactly the JSON of corrected/X.json', () => {
    let compared = 0;
    for (const { name, expected } of corrected) {
      const json = `${CORRECTED}${name.replace(/\.recordio$/, '.json')}`;
      if (!existsSync(json)) continue;
      assert.equal(expected.length, 1, name);
      assert.deepEqual(parseMesosJson(text(expected[0]!)), parseMesosJson(readFileSync(json, 'utf8')), name);
      compared++;
    }
    assert.ok(compared >= 10, `compared ${compared}`);
  });

  it('the scheduler event stream is the corrected events back to back', () => {
    const stream = corrected.find((f) => f.name === 'scheduler-event-stream.recordio');
    assert.ok(stream);
    const events = stream.expected.map((r) => parseMesosJson(text(r)) as { type: string });
    assert.deepEqual(
      events.map((e) => e.type),
      ['SUBSCRIBED', 'OFFERS', 'RESCIND', 'UPDATE', 'HEARTBEAT', 'ERROR'],
    );
    for (const event of events) {
      const json = `${CORRECTED}${event.type}.scheduler.event.json`;
      if (existsSync(json)) assert.deepEqual(event, parseMesosJson(readFileSync(json, 'utf8')), event.type);
    }
  });

  it('the synthetic stream is the scheduler stream plus the multi-byte record, as its cuts file says', () => {
    assert.ok(cutStream);
    assert.equal(cutStream.data.length, cuts.total_bytes);
    assert.equal(cutStream.expected.length, cuts.records);
    const parts = Buffer.concat([
      readFileSync(`${CORRECTED}scheduler-event-stream.recordio`),
      readFileSync(`${SYNTHETIC}utf8-multibyte.recordio`),
    ]);
    assert.ok(parts.equals(cutStream.data));
    // The last record: 81 bytes but 78 UTF-16 code units; a character-counting decoder fails here.
    const last = cutStream.expected.at(-1)!;
    assert.equal(last.length, 81);
    assert.equal(text(last).length, 78);
    assert.deepEqual(parseMesosJson(text(last)), {
      type: 'ERROR',
      error: { message: "Framework 'Exämple ✓' is not authorized" },
    });
  });

  it('the listed cuts fall inside length prefixes and inside multi-byte characters', () => {
    assert.ok(cutStream);
    // Recompute where each cut lands so the test keeps covering those cases if the file changes.
    const prefixRanges: [number, number][] = [];
    let offset = 0;
    for (const record of cutStream.expected) {
      const prefixLength = String(record.length).length + 1;
      prefixRanges.push([offset, offset + prefixLength]);
      offset += prefixLength + record.length;
    }
    const inPrefix = cuts.suggested_chunk_cuts.filter((c) =>
      prefixRanges.some(([start, end]) => c > start && c < end),
    );
    const inCharacter = cuts.suggested_chunk_cuts.filter((c) => (cutStream.data[c]! & 0xc0) === 0x80);
    assert.ok(inPrefix.length >= 3, `cuts inside a prefix: ${inPrefix.join(',')}`);
    assert.ok(inCharacter.length >= 2, `cuts inside a character: ${inCharacter.join(',')}`);
  });
});

describe('RecordIoDecoder', () => {
  for (const { name, data, expected } of allStreams) {
    it(`decodes ${name} fed whole, byte by byte, and split at every offset`, () => {
      assertRecords(decodeChunks([data]), expected, `${name} whole`);
      const single = [...data].map((b) => Uint8Array.of(b));
      assertRecords(decodeChunks(single), expected, `${name} byte by byte`);
      for (let cut = 1; cut < data.length; cut++) {
        assertRecords(decodeChunks(splitAt(data, [cut])), expected, `${name} cut at ${cut}`);
      }
      for (const record of decodeChunks(single)) assert.doesNotThrow(() => text(record));
    });
  }

  it('decodes the synthetic stream at every listed cut, singly and all together', () => {
    assert.ok(cutStream);
    const { data, expected } = cutStream;
    assert.ok(cuts.suggested_chunk_cuts.length > 0);
    for (const cut of cuts.suggested_chunk_cuts) {
      const chunks = splitAt(data, [cut]);
      assert.equal(chunks.length, 2, `cut ${cut} is inside the stream`);
      const decoded = decodeChunks(chunks);
      assertRecords(decoded, expected, `cut at ${cut}`);
      assert.deepEqual(
        decoded.map((r) => text(r)),
        expected.map((r) => r.toString('utf8')),
      );
    }
    assertRecords(decodeChunks(splitAt(data, cuts.suggested_chunk_cuts)), expected, 'all cuts');
    // Every cut plus every neighbour of a cut: the boundaries the file points at, from both sides.
    const around = cuts.suggested_chunk_cuts.flatMap((c) => [c - 1, c, c + 1]);
    assertRecords(decodeChunks(splitAt(data, around)), expected, 'cuts and neighbours');
  });

  it('returns records as soon as they are complete', () => {
    const decoder = new RecordIoDecoder();
    assert.deepEqual(decoder.push(bytes('5\nhel')), []);
    assert.equal(decoder.pendingBytes, 3);
    const [first, ...rest] = decoder.push(bytes('lo3\nabc1'));
    assert.equal(text(first!), 'hello');
    assert.deepEqual(rest.map(text), ['abc']);
    assert.deepEqual(decoder.push(bytes('\n')), []);
    assert.deepEqual(decoder.push(bytes('x')).map(text), ['x']);
    assert.equal(decoder.bytesConsumed, 15);
    decoder.end();
  });

  it('copies records, so reusing a chunk buffer does not change them', () => {
    const decoder = new RecordIoDecoder();
    const chunk = new Uint8Array(bytes('3\nabc'));
    const [record] = decoder.push(chunk);
    chunk.fill(0x7a);
    assert.equal(text(record!), 'abc');
  });

  it('accepts an empty stream and empty chunks', () => {
    assert.deepEqual(decodeChunks([]), []);
    assert.deepEqual(decodeChunks([new Uint8Array(0), bytes('1\na'), new Uint8Array(0)]).map(text), ['a']);
  });

  it('accepts leading zeros (1*DIGIT) and a record of exactly the limit', () => {
    assert.deepEqual(decodeChunks([bytes('003\nabc')]).map(text), ['abc']);
    const decoder = new RecordIoDecoder({ maxRecordBytes: 10 });
    assert.deepEqual(decodeChunks([bytes('10\n0123456789')], decoder).map(text), ['0123456789']);
  });
});

describe('RecordIoDecoder errors', () => {
  const rejects = (input: string, pattern: RegExp, offset: number, options = {}): void => {
    const decoder = new RecordIoDecoder(options);
    assert.throws(
      () => {
        for (const b of bytes(input)) decoder.push(Uint8Array.of(b));
        decoder.end();
      },
      (e: unknown) => e instanceof RecordIoError && pattern.test(e.message) && e.offset === offset,
      JSON.stringify(input),
    );
    // Also when fed whole: the offset is the stream offset, not the chunk offset.
    assert.throws(
      () => new RecordIoDecoder(options).push(bytes(input)),
      (e: unknown) => e instanceof RecordIoError && e.offset === offset,
    );
  };

  it('rejects a non-digit length prefix, naming the byte offset', () => {
    rejects('abc\n', /unexpected byte 0x61 \('a'\) in record length prefix at byte offset 0/, 0);
    rejects('12a\n', /byte 0x61.*at byte offset 2 \(record #0\)/, 2);
    rejects(' 5\nhello', /byte 0x20/, 0);
    rejects('-5\nhello', /byte 0x2d/, 0);
    rejects('+5\nhello', /byte 0x2b/, 0);
    rejects('5\r\nhello', /byte 0x0d in record length prefix at byte offset 1/, 1);
    rejects('5\nhello{"type":"HEARTBEAT"}', /byte 0x7b.*at byte offset 7 \(record #1\)/, 7);
    rejects('5\nhello\n5\nworld', /empty record length prefix.*at byte offset 7 \(record #1\)/, 7);
  });

  it('rejects a zero length at the start of its prefix', () => {
    rejects('0\n', /zero record length.*at byte offset 0/, 0);
    rejects('1\na000\nxyz', /zero record length.*at byte offset 3 \(record #1\)/, 3);
  });

  it('rejects an absurd length as soon as the prefix exceeds the limit', () => {
    const decoder = new RecordIoDecoder();
    const tooBig = String(DEFAULT_MAX_RECORD_BYTES + 1);
    // No LF yet: the decoder must not wait for one, nor allocate anything.
    assert.throws(
      () => decoder.push(bytes(tooBig)),
      /record length exceeds the limit of 67108864 bytes \(prefix starting at byte offset 0\)/,
    );
    rejects('18446744073709551615\n', /exceeds the limit/, 8);
    rejects(
      '3\nabc11\n',
      /exceeds the limit of 10 bytes \(prefix starting at byte offset 5\) at byte offset 6/,
      6,
      {
        maxRecordBytes: 10,
      },
    );
    rejects('0'.repeat(21) + '1\n', /longer than 20 digits/, 20);
    assert.throws(() => new RecordIoDecoder({ maxRecordBytes: 0 }), RangeError);
  });

  it('throws at end() on a truncated stream, and not before', () => {
    const inData = new RecordIoDecoder();
    assert.equal(inData.push(bytes('1\na5\nhel')).length, 1);
    assert.throws(
      () => inData.end(),
      /stream ended inside a record: got 3 of 5 bytes \(record starting at byte offset 3\) at byte offset 8/,
    );
    const inPrefix = new RecordIoDecoder();
    inPrefix.push(bytes('12'));
    assert.throws(() => inPrefix.end(), /stream ended inside a record length prefix/);
    const afterLf = new RecordIoDecoder();
    afterLf.push(bytes('2\n'));
    assert.throws(() => afterLf.end(), /got 0 of 2 bytes/);
  });

  it('stays failed after an error, since the stream is out of sync', () => {
    const decoder = new RecordIoDecoder();
    assert.throws(() => decoder.push(bytes('x')), RecordIoError);
    assert.throws(() => decoder.push(bytes('1\na')), /byte offset 0/);
    assert.throws(() => decoder.end(), RecordIoError);
  });

  it('rejects text chunks, whose lengths are not byte counts', () => {
    const decoder = new RecordIoDecoder();
    assert.throws(() => decoder.push('3\nabc' as unknown as Uint8Array), TypeError);
  });
});

describe('records()', () => {
  async function* chunked(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < data.length; i += size) {
      await Promise.resolve();
      yield data.subarray(i, i + size);
    }
  }

  it('yields the records of an async byte stream', async () => {
    assert.ok(cutStream);
    const out: Uint8Array[] = [];
    for await (const record of records(chunked(cutStream.data, 7))) out.push(record);
    assertRecords(out, cutStream.expected, 'records()');
  });

  it('reads a Node stream of Buffers', async () => {
    assert.ok(cutStream);
    const out: Uint8Array[] = [];
    const source = Readable.from(
      splitAt(cutStream.data, cuts.suggested_chunk_cuts).map((c) => Buffer.from(c)),
    );
    for await (const record of records(source)) out.push(record);
    assertRecords(out, cutStream.expected, 'Readable');
  });

  it('yields the complete records, then throws on a truncated stream', async () => {
    const out: string[] = [];
    await assert.rejects(async () => {
      for await (const record of records(chunked(bytes('1\na2\nbc3\nde'), 2))) out.push(text(record));
    }, /stream ended inside a record: got 2 of 3 bytes/);
    assert.deepEqual(out, ['a', 'bc']);
  });

  it('closes the source when the consumer stops early', async () => {
    let closed = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) {
          await Promise.resolve();
          yield bytes('2\nok');
        }
      } finally {
        closed = true;
      }
    }
    for await (const record of records(source())) {
      assert.equal(text(record), 'ok');
      break;
    }
    assert.ok(closed);
  });
});

describe('encodeRecord', () => {
  it('frames with the byte length, as Mesos does', () => {
    assert.equal(Buffer.from(encodeRecord('{"type":"HEARTBEAT"}')).toString(), '20\n{"type":"HEARTBEAT"}');
    assert.equal(Buffer.from(encodeRecord('ä✓')).toString(), '5\nä✓');
    assert.deepEqual([...encodeRecord(Uint8Array.of(0, 10, 255))], [0x33, 0x0a, 0, 10, 255]);
    assert.throws(() => encodeRecord(''), RangeError);
  });

  it('reproduces the fixture framing byte for byte', () => {
    for (const { name, data, expected } of allStreams) {
      const encoded = Buffer.concat(expected.map((r) => encodeRecord(r)));
      assert.ok(encoded.equals(data), name);
    }
  });

  it('round-trips any records through any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ unit: 'binary', minLength: 1 }).map((s) => bytes(s)),
            fc.uint8Array({ minLength: 1, maxLength: 300 }),
          ),
          { maxLength: 20 },
        ),
        fc.array(fc.nat(), { maxLength: 30 }),
        (recordsIn, rawCuts) => {
          const stream = Buffer.concat(recordsIn.map((r) => encodeRecord(r)));
          const chunks = splitAt(
            stream,
            rawCuts.map((c) => c % (stream.length + 1)),
          );
          const out = decodeChunks(chunks);
          assertRecords(
            out,
            recordsIn.map((r) => Buffer.from(r)),
            'round trip',
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips text with multi-byte characters', () => {
    const samples = ['a', 'ä', '✓', '😀', "Framework 'Exämple ✓' is not authorized", '\n', '0\n', '12\n'];
    const stream = Buffer.concat(samples.map((s) => encodeRecord(s)));
    const single = [...stream].map((b) => Uint8Array.of(b));
    assert.deepEqual(decodeChunks(single).map(text), samples);
  });
});

describe('RecordIoDecoder on a long stream', () => {
  it('decodes 100,000 small records in random 1 B – 4 KiB chunks, holding only the current record', () => {
    // Deterministic PRNG (mulberry32) so a failure reproduces.
    let seed = 0x5eed1234;
    const random = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const COUNT = 100_000;
    const pads = ['', 'x', 'ä', '✓', '😀', 'abcdefghij'];
    const expected: Buffer[] = [];
    for (let i = 0; i < COUNT; i++) {
      const pad = pads[Math.floor(random() * pads.length)]!.repeat(Math.floor(random() * 8));
      expected.push(Buffer.from(`{"type":"HEARTBEAT","i":${i},"pad":"${pad}"}`));
    }
    const stream = Buffer.concat(expected.map((r) => encodeRecord(r)));
    const largest = Math.max(...expected.map((r) => r.length));

    const decoder = new RecordIoDecoder();
    const out: Uint8Array[] = [];
    let pushes = 0;
    let maxPending = 0;
    for (let offset = 0; offset < stream.length;) {
      const size = 1 + Math.floor(random() * 4096);
      out.push(...decoder.push(stream.subarray(offset, offset + size)));
      offset += size;
      pushes++;
      maxPending = Math.max(maxPending, decoder.pendingBytes);
    }
    decoder.end();

    assert.equal(out.length, COUNT);
    assertRecords(out, expected, 'long stream');
    assert.equal(decoder.bytesConsumed, stream.length);
    // Linear work: nothing beyond the record in progress is retained or re-copied between pushes.
    assert.ok(maxPending < largest, `pending ${maxPending} < largest record ${largest}`);
    assert.equal(
      out.reduce((sum, r) => sum + r.length, 0),
      expected.reduce((sum, r) => sum + r.length, 0),
    );
    assert.ok(pushes > stream.length / 4096, `pushes ${pushes}`);
  });
});

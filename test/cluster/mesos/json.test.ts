import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';

import { MesosJsonError, parseMesosJson, stringifyMesosJson } from '../../../src/cluster/mesos/json.js';
import { MESOS_FIXTURES } from '../../support/fixtures.js';

// Tests run from dist/test/cluster/mesos/; the shared fixtures sit beside the project root.
const FIXTURES = MESOS_FIXTURES;
const CORRECTED = `${FIXTURES}corrected/`;
const VERBATIM = `${FIXTURES}verbatim/`;

const jsonFiles = (dir: string): { name: string; text: string }[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((name) => ({ name, text: readFileSync(dir + name, 'utf8') }));

/** What JSON.parse would have given: bigints become (possibly rounded) numbers. */
function lossy(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(lossy);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, lossy(v)]));
  }
  return value;
}

function collectBigInts(value: unknown, out: bigint[] = []): bigint[] {
  if (typeof value === 'bigint') out.push(value);
  else if (typeof value === 'object' && value !== null)
    for (const v of Object.values(value)) collectBigInts(v, out);
  return out;
}

/** Integer literals of 16+ digits outside strings, found by a scan that skips string contents. */
function bareLongIntegers(text: string): string[] {
  const found: string[] = [];
  const tokens = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
  for (const [token] of text.matchAll(tokens)) {
    if (/^-?\d{16,}$/.test(token)) found.push(token);
  }
  return found;
}

const get = (value: unknown, path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, key) => (v as Record<string | number, unknown>)[key], value);

describe('parseMesosJson on the fixtures', () => {
  const corrected = jsonFiles(CORRECTED);

  it('parses every corrected/*.json like JSON.parse, apart from big integers', () => {
    assert.ok(corrected.length >= 20, `corrected/*.json: ${corrected.length}`);
    const names = corrected.map((f) => f.name);
    for (const required of [
      'GET_STATE.response.json',
      'GET_AGENTS.response.json',
      'GET_FRAMEWORKS.response.json',
      'SUBSCRIBE.operator.response.json',
    ]) {
      assert.ok(names.includes(required), required);
    }
    for (const { name, text } of corrected) {
      assert.deepEqual(lossy(parseMesosJson(text)), JSON.parse(text), name);
    }
  });

  it('keeps every integer beyond 2^53 in the fixtures exact, as a bigint', () => {
    let total = 0;
    for (const { name, text } of corrected) {
      const parsed = parseMesosJson(text);
      const expected = bareLongIntegers(text).map((s) => BigInt(s));
      assert.deepEqual(collectBigInts(parsed), expected, name);
      total += expected.length;
      // Written back, each one is the same digits Mesos sent (JSON.stringify would round them).
      const written = stringifyMesosJson(parsed);
      for (const n of expected) assert.ok(written.includes(`:${n}`), `${name}: ${n}`);
      assert.deepEqual(parseMesosJson(written), parsed, `${name} round trip`);
    }
    assert.ok(total >= 10, `big integers found: ${total}`);
  });

  it('reads TimeInfo.nanoseconds of GET_STATE, GET_AGENTS and GET_FRAMEWORKS exactly', () => {
    const read = (name: string): unknown => parseMesosJson(readFileSync(CORRECTED + name, 'utf8'));
    const state = read('GET_STATE.response.json');
    assert.equal(
      get(state, ['get_state', 'get_agents', 'agents', 0, 'registered_time', 'nanoseconds']),
      1470820172046531840n,
    );
    assert.equal(
      get(state, ['get_state', 'get_frameworks', 'frameworks', 0, 'registered_time', 'nanoseconds']),
      1470820172039300864n,
    );
    assert.equal(
      get(read('GET_AGENTS.response.json'), ['get_agents', 'agents', 0, 'registered_time', 'nanoseconds']),
      1470820171393027072n,
    );
    assert.equal(
      get(read('GET_FRAMEWORKS.response.json'), [
        'get_frameworks',
        'frameworks',
        0,
        'reregistered_time',
        'nanoseconds',
      ]),
      1470820171578306816n,
    );
    // Small integers keep their ordinary type.
    assert.equal(get(state, ['get_state', 'get_agents', 'agents', 0, 'agent_info', 'port']), 34626);
    // JSON.stringify(JSON.parse(...)) would send Mesos a different number.
    assert.equal(JSON.stringify(Number(1470820172046531840n)), '1470820172046531800');
  });

  it('parses the verbatim doc bodies exactly when JSON.parse does (7 are invalid JSON)', () => {
    const verbatim = jsonFiles(VERBATIM);
    assert.ok(verbatim.length >= 100, `verbatim/*.json: ${verbatim.length}`);
    let invalid = 0;
    for (const { name, text } of verbatim) {
      let reference: unknown;
      try {
        reference = JSON.parse(text);
      } catch {
        assert.throws(() => parseMesosJson(text), MesosJsonError, name);
        invalid++;
        continue;
      }
      assert.deepEqual(lossy(parseMesosJson(text)), reference, name);
    }
    assert.equal(invalid, 7);
  });
});

describe('parseMesosJson integers', () => {
  it('keeps a uint64 beyond 2^53 exact', () => {
    const parsed = parseMesosJson('{"a": 18446744073709551615}');
    assert.deepEqual(parsed, { a: 18446744073709551615n });
    assert.equal(stringifyMesosJson(parsed), '{"a":18446744073709551615}');
    assert.notEqual(BigInt(Number(18446744073709551615n)), 18446744073709551615n);
  });

  it('switches to bigint exactly outside the safe integer range', () => {
    assert.equal(parseMesosJson('9007199254740991'), 9007199254740991);
    assert.equal(parseMesosJson('-9007199254740991'), -9007199254740991);
    assert.equal(parseMesosJson('9007199254740992'), 9007199254740992n);
    assert.equal(parseMesosJson('9007199254740993'), 9007199254740993n);
    assert.equal(parseMesosJson('-9223372036854775808'), -9223372036854775808n);
    assert.equal(parseMesosJson('0'), 0);
    assert.ok(Object.is(parseMesosJson('-0'), -0));
    assert.equal(parseMesosJson('00000000000000000000000000000001'.replace(/^0+/, '')), 1);
  });

  it('leaves doubles as numbers, however large', () => {
    assert.equal(parseMesosJson('15.0'), 15);
    assert.equal(parseMesosJson('1e300'), 1e300);
    assert.equal(parseMesosJson('18446744073709551615.0'), Number('18446744073709551615'));
    assert.equal(parseMesosJson('-2.5E-3'), -0.0025);
    assert.equal(parseMesosJson('1e+2'), 100);
  });
});

describe('parseMesosJson non-finite numbers', () => {
  it('accepts bare Infinity, -Infinity and NaN as values', () => {
    const parsed = parseMesosJson(
      '{"limits":{"cpus":{"value":Infinity},"mem":{"value": -Infinity}},"x":NaN,"a":[Infinity,-Infinity,NaN]}',
    );
    assert.deepEqual(parsed, {
      limits: { cpus: { value: Infinity }, mem: { value: -Infinity } },
      x: NaN,
      a: [Infinity, -Infinity, NaN],
    });
    assert.equal(parseMesosJson(' Infinity '), Infinity);
  });

  it('writes them as strings Mesos accepts, or bare like Mesos, or refuses', () => {
    const value = { cpus: Infinity, low: -Infinity, x: NaN };
    assert.equal(stringifyMesosJson(value), '{"cpus":"Infinity","low":"-Infinity","x":"NaN"}');
    const bare = stringifyMesosJson(value, { nonFinite: 'bare' });
    assert.equal(bare, '{"cpus":Infinity,"low":-Infinity,"x":NaN}');
    assert.deepEqual(parseMesosJson(bare), value);
    assert.throws(() => stringifyMesosJson(value, { nonFinite: 'error' }), TypeError);
  });

  it('rejects near misses', () => {
    for (const text of ['infinity', 'Inf', '+Infinity', '-NaN', 'nan', '[Infinityx]', '{"a":-Infinit}']) {
      assert.throws(() => parseMesosJson(text), MesosJsonError, text);
    }
  });
});

describe('parseMesosJson strings', () => {
  const tricky = [
    'Infinity',
    '-Infinity',
    'NaN',
    '18446744073709551615',
    '{"a": Infinity, "b": 18446744073709551615}',
    ': Infinity,',
    'quote " backslash \\ slash / controls \b\f\n\r\t',
    'Exämple ✓ 😀 日本語',
    '\u0000\u001f\u007f\u2028\u2029',
    'lone \ud800 surrogate \udc00',
    '',
  ];

  it('never alters string contents, in values or keys', () => {
    for (const s of tricky) {
      assert.equal(parseMesosJson(JSON.stringify(s)), s);
      const object = { [s]: s, list: [s, 1, s] };
      assert.deepEqual(parseMesosJson(JSON.stringify(object)), object);
      assert.deepEqual(parseMesosJson(stringifyMesosJson(object)), object);
    }
  });

  it('decodes every escape form like JSON.parse', () => {
    const text = String.raw`"\"\\\/\b\f\n\r\t\u00e4\u2713\ud83d\ude00\u00E4\uD83D\uDE00 raw ä✓😀"`;
    assert.equal(parseMesosJson(text), JSON.parse(text));
    assert.equal(parseMesosJson(text), '"\\/\b\f\n\r\tä✓😀ä😀 raw ä✓😀');
  });

  it('keeps __proto__ an own property, like JSON.parse', () => {
    const text = '{"__proto__":{"polluted":true},"a":1}';
    const parsed = parseMesosJson(text) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
    assert.deepEqual(parsed, JSON.parse(text));
    assert.ok(Object.hasOwn(parsed, '__proto__'));
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('lets the last duplicate key win, like JSON.parse', () => {
    assert.deepEqual(parseMesosJson('{"a":1,"a":2}'), { a: 2 });
  });

  it('agrees with JSON.parse on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        assert.deepEqual(lossy(parseMesosJson(text)), JSON.parse(text));
        const pretty = JSON.stringify(value, null, 2);
        assert.deepEqual(lossy(parseMesosJson(pretty)), JSON.parse(pretty));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        assert.equal(parseMesosJson(JSON.stringify(s)), s);
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseMesosJson errors', () => {
  const cases: [text: string, position: number][] = [
    ['', 0],
    ['   ', 3],
    ['{"a":1,}', 7],
    ['[1,]', 3],
    ['[1 2]', 3],
    ['{"a" 1}', 5],
    ['{a:1}', 1],
    ["{'a':1}", 1],
    ['{"a":1}}', 7],
    ['true false', 5],
    ['nul', 0],
    ['"abc', 4],
    ['"a\nb"', 2],
    ['"\\x"', 1],
    ['"\\u12G4"', 5],
    ['01', 1],
    ['1.', 2],
    ['1.e5', 2],
    ['1e', 2],
    ['-', 1],
    ['-a', 1],
    ['.5', 0],
    ['{"a":[1,{"b":}]}', 13],
    ['\ufeff{}', 0],
  ];

  it('rejects invalid JSON with the position of the error', () => {
    for (const [text, position] of cases) {
      assert.throws(() => JSON.parse(text), SyntaxError, `JSON.parse also rejects ${JSON.stringify(text)}`);
      assert.throws(
        () => parseMesosJson(text),
        (e: unknown) =>
          e instanceof MesosJsonError &&
          e instanceof SyntaxError &&
          e.position === position &&
          e.message.includes(`at position ${position} `),
        `${JSON.stringify(text)} at ${position}`,
      );
    }
  });

  it('reports line and column', () => {
    assert.throws(
      () => parseMesosJson('{\n  "a": 1,\n  "b": tru\n}'),
      (e: unknown) =>
        e instanceof MesosJsonError &&
        e.line === 3 &&
        e.column === 8 &&
        /unexpected character "t" at position 19 \(line 3, column 8\)/.test(e.message),
    );
  });

  it('turns absurd nesting into an error rather than a stack overflow', () => {
    assert.throws(() => parseMesosJson('['.repeat(100_000)), /nesting deeper than 512/);
    assert.deepEqual(
      parseMesosJson('['.repeat(500) + ']'.repeat(500)),
      JSON.parse('['.repeat(500) + ']'.repeat(500)),
    );
  });
});

describe('stringifyMesosJson', () => {
  it('writes compact JSON like JSON.stringify for ordinary values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        assert.equal(stringifyMesosJson(value), JSON.stringify(value));
      }),
      { numRuns: 500 },
    );
    const value = {
      a: undefined,
      f: () => 1,
      s: Symbol('s'),
      list: [undefined, () => 1, 1],
      d: new Date(0),
      boxed: [new Number(1), new String('x'), new Boolean(false)],
    };
    assert.equal(stringifyMesosJson(value), JSON.stringify(value));
  });

  it('writes bigints as plain integers', () => {
    assert.equal(
      stringifyMesosJson({ ns: 1470820172046531840n, neg: -9223372036854775808n, small: 5n }),
      '{"ns":1470820172046531840,"neg":-9223372036854775808,"small":5}',
    );
  });

  it('refuses what it cannot write', () => {
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    assert.throws(() => stringifyMesosJson(cycle), /circular/);
    assert.throws(() => stringifyMesosJson(undefined), TypeError);
    // Shared (non-circular) references are fine.
    const shared = { x: 1 };
    assert.equal(stringifyMesosJson([shared, shared]), '[{"x":1},{"x":1}]');
  });
});

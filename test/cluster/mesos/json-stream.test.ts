import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { arrayElements, ArraySplitter, type Element } from '../../../src/cluster/mesos/json-stream.js';

const TASKS = ['get_tasks.tasks', 'get_tasks.completed_tasks'];

const document = JSON.stringify({
  type: 'GET_TASKS',
  get_tasks: {
    completed_tasks: [{ id: 'done', note: 'a } brace and a ] bracket in a string' }],
    tasks: [
      {
        id: 'a',
        labels: [{ key: 'tasks', value: '"quoted" \\ back{slash}' }],
        nested: { tasks: [{ id: 'not me' }] },
      },
      { id: 'ü', text: 'multi-byte: ünïcödé 🚀' },
      [1, 2, { id: 'an array element' }],
    ],
    unreachable_tasks: [{ id: 'not wanted' }],
  },
});

function split(text: string, cuts: number[]): Element[] {
  const bytes = Buffer.from(text, 'utf8');
  const out: Element[] = [];
  const splitter = new ArraySplitter(new Set(TASKS), (element) => out.push(element));
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    splitter.feed(bytes.subarray(at, cut));
    at = cut;
  }
  return out;
}

const expected = (): Element[] => {
  const parsed = JSON.parse(document) as { get_tasks: Record<string, unknown[]> };
  const of = (array: string, name: string) =>
    parsed.get_tasks[name]!.map((value) => ({ array, text: JSON.stringify(value), exact: true }));
  return [...of('get_tasks.completed_tasks', 'completed_tasks'), ...of('get_tasks.tasks', 'tasks')];
};

describe('ArraySplitter', () => {
  it('yields each element of the wanted arrays as its JSON text, and nothing else', () => {
    assert.deepEqual(split(document, []), expected());
  });

  it('gives the same elements however the bytes are cut, inside strings, escapes and multi-byte characters', () => {
    const length = Buffer.byteLength(document);
    for (let cut = 1; cut < length; cut++)
      assert.deepEqual(split(document, [cut]), expected(), `cut at ${cut}`);
  });

  it('gives the same elements for any cuts, and as many', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: Buffer.byteLength(document) - 1 }), { maxLength: 40 }),
        (cuts) => {
          assert.deepEqual(
            split(
              document,
              cuts.sort((a, b) => a - b),
            ),
            expected(),
          );
        },
      ),
    );
  });

  it('ends strings right after runs of backslashes, wherever the bytes are cut', () => {
    const tasks = [{ a: '\\' }, { b: '\\\\"' }, { c: '\\"]}\\' }, { d: ['\\\\', '"\\'] }];
    const text = JSON.stringify({ get_tasks: { tasks } });
    const want = tasks.map((task) => ({ array: 'get_tasks.tasks', text: JSON.stringify(task), exact: true }));
    for (let cut = 1; cut < text.length; cut++)
      for (const second of [cut + 1, cut + 2])
        assert.deepEqual(
          split(text, second < text.length ? [cut, second] : [cut]),
          want,
          `cuts ${cut}, ${second}`,
        );
  });

  it('splits any JSON objects as JSON.parse reads them', () => {
    fc.assert(
      fc.property(
        fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { maxLength: 5 }),
        fc.uniqueArray(fc.nat(), { maxLength: 6 }),
        (tasks, rawCuts) => {
          const text = JSON.stringify({ get_tasks: { tasks } });
          const length = Buffer.byteLength(text);
          const cuts = [...new Set(rawCuts.map((c) => 1 + (c % (length - 1))))].sort((a, b) => a - b);
          assert.deepEqual(
            split(text, cuts).map((e) => JSON.parse(e.text) as unknown),
            JSON.parse(JSON.stringify(tasks)),
          );
        },
      ),
    );
  });

  it('marks the elements JSON.parse would misread: long integers, bare Infinity and NaN, outside strings', () => {
    const elements = [
      '{"id":"big","n":9007199254740993}',
      '{"id":"in a string","n":"9007199254740993 Infinity NaN","m":123456789012345}',
      '{"id":"inf","x":[Infinity]}',
      '{"id":"nan","x":-NaN}',
      '{"id":"plain","t":1796189492.467,"ok":true,"none":null}',
    ];
    const text = `{"get_tasks":{"tasks":[${elements.join(',')}]}}`;
    const want = [false, true, false, false, true];
    for (let cut = 1; cut < text.length; cut++)
      assert.deepEqual(
        split(text, [cut]).map((e) => e.exact),
        want,
        `cut at ${cut}`,
      );
  });

  it('reads keys with whitespace around them as JSON does', () => {
    const text = '{ "type" : "X" ,\n "get_tasks" : { "tasks" : [ {"a":1} , {"b":[2]} ] } }';
    assert.deepEqual(
      split(text, []).map((e) => JSON.parse(e.text) as unknown),
      [{ a: 1 }, { b: [2] }],
    );
  });

  it('streams from an async source', async () => {
    function* chunks() {
      const bytes = Buffer.from(document);
      for (let at = 0; at < bytes.length; at += 7) yield bytes.subarray(at, at + 7);
    }
    const out: Element[] = [];
    for await (const element of arrayElements(Readable.from(chunks()), TASKS)) out.push(element);
    assert.deepEqual(out, expected());
  });
});

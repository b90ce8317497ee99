/**
 * Mutated copies of a job repository, for the fuzz corpus test: a seeded generator that
 * applies one to three mutations to a repository's files, from absurd numbers to invalid
 * UTF-8 and deleted files. The same seed and case number always give the same mutant.
 */
import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';

/** A repository as bytes: path → content (Buffers, so a mutant may hold invalid UTF-8). */
export type RepoBytes = Map<string, Buffer>;

export interface Mutant {
  files: RepoBytes;
  /** What was done, e.g. `number jobs/a.yaml instances = 1e400`, for failure messages. */
  mutations: string[];
}

/** mulberry32: a small, fast PRNG whose whole state is one 32-bit number. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** In [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
}

/** The seed of one case: cases are independent, so case N is the same whatever the count. */
export function caseSeed(seed: number, index: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca6b)) >>> 0;
}

/** Numbers YAML reads as huge, rounded, infinite, tiny, negative, or not as numbers at all. */
export const ABSURD_NUMBERS = [
  '0x7fffffffffffffff',
  '9007199254740993',
  '9007199254740992',
  '9223372036854775808',
  '1e308',
  '1e400',
  '-1e400',
  '9'.repeat(400),
  '-' + '9'.repeat(400),
  '.inf',
  '-.inf',
  '.nan',
  '-0',
  '0',
  '-1',
  '0.0000001',
  '2.5',
  '0o777',
  '0xff',
  '+12',
  '1_000',
  '1e3',
  '4001',
  '1000000',
  '604801',
] as const;

/** Values of every other kind, as YAML text. */
const ODD_VALUES = [
  '""',
  'null',
  '~',
  'true',
  'yes',
  '[]',
  '{}',
  '[1, [2, [3]]]',
  '{a: {b: {c: 1}}}',
  "'0x10'",
  '"\\0"',
  '"a\\u0000b"',
  '"\\uD800"',
  '!!binary aGVsbG8=',
  '!!set {a, b}',
  '!!str 5',
  '!!int "7"',
  '!!float 1',
  '!custom x',
  '*undefined_alias',
  '"x"',
  '5MiB',
  '0B',
  '0.0000001B',
  `${'9'.repeat(400)}MiB`,
  '1 GiB',
  '-5MiB',
  '"{{thermos.ports[nope]}}"',
  '"{{mesos.instance}}"',
] as const;

const ODD_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '""',
  '" "',
  'INSTANCES',
  'instances ',
  'ünïcode',
  '? [a, b]',
  '1',
  'null',
  '"<<"',
  '<<',
] as const;

const ODD_EXTENDS = [
  '""',
  '/',
  '/etc/passwd',
  '../../../../../../etc/passwd',
  '.',
  '..',
  'jobs',
  '../templates',
  './',
  'nonexistent.yaml',
  '../templates/worker.yaml',
  '../../templates/worker.yaml',
  '../../templates/../templates/worker.yaml',
  '../../clusters.yaml',
  '"\\0"',
  '"a\\u0000.yaml"',
  `${'../'.repeat(200)}x.yaml`,
  `${'a/'.repeat(100)}x.yaml`,
  '[a]',
  '{a: b}',
  '5',
  'null',
  'C:\\\\x.yaml',
  'file:///etc/passwd',
  'https://example.com/x.yaml',
] as const;

/** Invalid UTF-8 byte sequences and other hostile bytes. */
const HOSTILE_BYTES: readonly number[][] = [
  [0xff],
  [0xc3, 0x28],
  [0xed, 0xa0, 0x80],
  [0xf0, 0x28, 0x8c, 0x28],
  [0xe2, 0x82],
  [0x00],
  [0xef, 0xbb, 0xbf],
  [0x1b, 0x5b, 0x32, 0x4a],
];

type Mutation = (files: RepoBytes, random: Random) => string;

/** Each kind of mutation by name; the fuzz test may leave some out (its KNOWN_OPEN list). */
export const MUTATIONS: Record<string, Mutation> = {
  'absurd-number': (files, random) => setValue(files, random, random.pick(ABSURD_NUMBERS), numberPath),
  'absurd-number-anywhere': (files, random) => setValue(files, random, random.pick(ABSURD_NUMBERS), anyPath),
  'odd-value': (files, random) => setValue(files, random, random.pick(ODD_VALUES), anyPath),
  'deep-nesting': (files, random) => {
    const depth = 10 + random.below(300);
    return setValue(files, random, `${'['.repeat(depth)}1${']'.repeat(depth)}`, anyPath);
  },
  'unknown-key': (files, random) => addKey(files, random),
  'delete-key': (files, random) => deleteKey(files, random),
  'odd-extends': (files, random) =>
    setValue(files, random, random.pick(ODD_EXTENDS), () => ['extends'], jobFiles),
  'duplicate-key': (files, random) =>
    editLines(files, random, 'duplicate line', (lines, at) => {
      lines.splice(at, 0, lines[at]!);
    }),
  'anchor-alias': (files, random) =>
    editText(files, random, 'anchor and alias', (text) => `x-defaults: &d {cpu: 1}\n${text}\nx-more: *d\n`),
  'merge-key': (files, random) =>
    editText(files, random, 'merge key', (text) => `base: &b {instances: 2}\n<<: *b\n${text}`),
  'yaml-tag': (files, random) =>
    editLines(files, random, 'tag', (lines, at) => {
      lines[at] = lines[at]!.replace(
        /: (\S)/,
        `: ${random.pick(['!!str', '!!set', '!!omap', '!foo', '!'])} $1`,
      );
    }),
  'hostile-bytes': (files, random) => {
    const path = random.pick([...files.keys()]);
    const content = files.get(path)!;
    const at = random.below(content.length + 1);
    const bytes = random.pick(HOSTILE_BYTES);
    files.set(path, Buffer.concat([content.subarray(0, at), Buffer.from(bytes), content.subarray(at)]));
    return `bytes ${path}@${at} = ${bytes.map((b) => b.toString(16)).join(' ')}`;
  },
  truncate: (files, random) => {
    const path = random.pick([...files.keys()]);
    const content = files.get(path)!;
    const at = random.below(content.length + 1);
    files.set(path, content.subarray(0, at));
    return `truncate ${path} at ${at}`;
  },
  documents: (files, random) => {
    const shape = random.pick([
      '---\n',
      '\n---\n',
      '\n---\n...\n',
      '\n...\n',
      '---\n---\n',
      '\n--- |\n  x\n',
    ]);
    const before = random.below(2) === 0;
    return editText(files, random, `document marker ${JSON.stringify(shape)}`, (text) =>
      before ? `${shape}${text}` : `${text}${shape}`,
    );
  },
  'whole-file': (files, random) => {
    const path = random.pick([...files.keys()]);
    const content = random.pick([
      '',
      '~',
      '[]',
      '- a\n- b\n',
      '42',
      '"just text"',
      '{',
      '%YAML 1.1\n---\na: 1\n',
      '\t',
    ]);
    files.set(path, Buffer.from(content));
    return `replace ${path} with ${JSON.stringify(content)}`;
  },
  'line-endings': (files, random) =>
    editText(files, random, 'CRLF and tabs', (text) =>
      random.below(2) === 0 ? text.replace(/\n/g, '\r\n') : text.replace(/^ {2}/m, '\t'),
    ),
  'delete-file': (files, random) => {
    const path = random.pick([...files.keys()]);
    files.delete(path);
    return `delete ${path}`;
  },
  'rename-file': (files, random) => {
    const path = random.pick([...files.keys()]);
    const content = files.get(path)!;
    const target = random.pick([
      path.replace(/\.yaml$/, '.yml'),
      path.replace(/\.yaml$/, '.txt'),
      path.replace(/^jobs\//, 'jobs/deeper/nested/'),
      path.replace(/^jobs\//, 'templates/'),
      path.replace(/^templates\//, 'jobs/'),
      `jobs/${'x'.repeat(200)}.yaml`,
      'jobs/.hidden.yaml',
      'jobs/ space .yaml',
      'clusters.yml',
    ]);
    files.delete(path);
    files.set(target, content);
    return `rename ${path} → ${target}`;
  },
  'copy-job': (files, random) => {
    const path = random.pick(jobFiles(files));
    files.set(path.replace(/\.yaml$/, '-copy.yaml'), files.get(path)!);
    return `copy ${path}`;
  },
};

/** A mutant of `base`: one to three mutations drawn from `kinds`, the first `first` when given. */
export function mutate(
  base: ReadonlyMap<string, string>,
  random: Random,
  kinds: readonly string[],
  first?: string,
): Mutant {
  const files: RepoBytes = new Map([...base].map(([path, text]) => [path, Buffer.from(text)]));
  const mutations: string[] = [];
  const count = 1 + random.below(3);
  for (let index = 0; index < count && files.size > 0; index++) {
    const kind = index === 0 && first !== undefined ? first : random.pick(kinds);
    mutations.push(`${kind}: ${MUTATIONS[kind]!(files, random)}`);
  }
  return { files, mutations };
}

function jobFiles(files: RepoBytes): string[] {
  const jobs = [...files.keys()].filter((path) => path.endsWith('.yaml') && path !== 'clusters.yaml');
  return jobs.length > 0 ? jobs : [...files.keys()];
}

function yamlFiles(files: RepoBytes): string[] {
  const found = [...files.keys()].filter((path) => /\.ya?ml$/.test(path));
  return found.length > 0 ? found : [...files.keys()];
}

type PathChooser = (document: Document, random: Random) => (string | number)[];

/** A path to a number already in the document, or to a field that takes one. */
const numberPath: PathChooser = (document, random) => {
  const numbers = leafPaths(document).filter((path) => typeof document.getIn(path) === 'number');
  return numbers.length > 0 && random.below(4) > 0 ? random.pick(numbers) : random.pick(NUMBER_FIELDS);
};

const NUMBER_FIELDS: (string | number)[][] = [
  ['instances'],
  ['priority'],
  ['max_task_failures'],
  ['update_config', 'batch_size'],
  ['update_config', 'watch_secs'],
  ['update_config', 'max_total_failures'],
  ['health_check_config', 'interval_secs'],
  ['task', 'resources', 'cpu'],
  ['task', 'resources', 'gpu'],
  ['task', 'resources', 'ram'],
  ['task', 'finalization_wait'],
  ['clusters', 0, 'limits', 'max_instances_per_job'],
];

const anyPath: PathChooser = (document, random) => {
  const paths = [...leafPaths(document), ...NUMBER_FIELDS];
  return random.pick(paths);
};

function leafPaths(document: Document): (string | number)[][] {
  const paths: (string | number)[][] = [];
  const walk = (node: unknown, path: (string | number)[]) => {
    if (isMap(node)) {
      for (const pair of node.items)
        if (isScalar(pair.key)) walk(pair.value, [...path, String(pair.key.value)]);
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => walk(item, [...path, index]));
    } else {
      paths.push(path);
    }
  };
  walk(document.contents, []);
  return paths.filter((path) => path.length > 0);
}

const RAW = '__RAW_VALUE__';

/** Sets `path` in a YAML file to the raw YAML text `raw`; a file that does not parse gets it appended. */
function setValue(
  files: RepoBytes,
  random: Random,
  raw: string,
  choose: PathChooser,
  candidates: (files: RepoBytes) => string[] = yamlFiles,
): string {
  const path = random.pick(candidates(files));
  const text = files.get(path)!.toString('utf8');
  const document = parseDocument(text);
  const appended = () => {
    files.set(path, Buffer.from(`${text}\nextra: ${raw}\n`));
    return `${path} append extra: ${raw.slice(0, 40)}`;
  };
  if (document.errors.length > 0 || !isMap(document.contents)) return appended();
  const field = choose(document, random);
  let written: string;
  try {
    document.setIn(field, RAW);
    written = document.toString(); // throws on an alias an earlier mutation left unresolved
  } catch {
    return appended();
  }
  files.set(path, Buffer.from(written.replace(new RegExp(`"?${RAW}"?`), () => raw)));
  return `${path} ${field.join('.')} = ${raw.slice(0, 40)}`;
}

function addKey(files: RepoBytes, random: Random): string {
  const path = random.pick(yamlFiles(files));
  const key = random.pick(ODD_KEYS);
  const value = random.pick([...ODD_VALUES, '{a: 1}', '1']);
  const indent = random.below(2) === 0 ? '' : '  ';
  const text = files.get(path)!.toString('utf8');
  const lines = text.split('\n');
  const at = indent ? Math.max(0, lines.findIndex((line) => /^\S.*:\s*$/.test(line)) + 1) : lines.length;
  lines.splice(at, 0, `${indent}${key}: ${value}`);
  files.set(path, Buffer.from(lines.join('\n')));
  return `${path} add ${JSON.stringify(key)}: ${value.slice(0, 40)} at line ${at + 1}`;
}

function deleteKey(files: RepoBytes, random: Random): string {
  return editLines(files, random, 'delete line', (lines, at) => {
    lines.splice(at, 1);
  });
}

function editLines(
  files: RepoBytes,
  random: Random,
  what: string,
  edit: (lines: string[], at: number) => void,
): string {
  const path = random.pick(yamlFiles(files));
  const lines = files.get(path)!.toString('utf8').split('\n');
  const at = random.below(lines.length);
  edit(lines, at);
  files.set(path, Buffer.from(lines.join('\n')));
  return `${path} ${what} ${at + 1}`;
}

function editText(files: RepoBytes, random: Random, what: string, edit: (text: string) => string): string {
  const path = random.pick(yamlFiles(files));
  files.set(path, Buffer.from(edit(files.get(path)!.toString('utf8'))));
  return `${path} ${what}`;
}

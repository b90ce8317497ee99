import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatMiB, sizeToMiB } from '../../src/jobspec/sizes.js';

describe('sizeToMiB', () => {
  const cases: [string, number | undefined][] = [
    ['128MiB', 128],
    ['1GiB', 1024],
    ['1.5GiB', 1536],
    ['512MB', 488.28125],
    ['1 GiB', 1024],
    ['1048576B', 1],
    ['1024KiB', 1],
    ['1TiB', 1024 * 1024],
    ['0MiB', 0],
    ['128mb', undefined],
    ['12 gigs', undefined],
    ['128', undefined],
    ['MiB', undefined],
    ['-1MiB', undefined],
  ];
  for (const [text, expected] of cases) {
    it(`${JSON.stringify(text)} → ${String(expected)}`, () => assert.equal(sizeToMiB(text), expected));
  }
});

describe('formatMiB', () => {
  const cases: [number, string][] = [
    [128, '128MiB'],
    [1024, '1GiB'],
    [1536, '1536MiB'],
    [488.28125, '488.281MiB'],
    [64 * 1024 * 1024, '64TiB'],
    [1536 * 1024, '1536GiB'],
  ];
  for (const [mib, expected] of cases)
    it(`${mib} → ${expected}`, () => assert.equal(formatMiB(mib), expected));
});

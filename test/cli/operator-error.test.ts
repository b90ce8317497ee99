/** Which failures are the operator's (one line, a code) and which are bugs (a stack). */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { asOperatorError, formatOperatorError } from '../../src/cli/operator-error.js';
import { BorealisError } from '../../src/errors.js';
import { ZK_CODES, ZkError } from '../../src/zookeeper/session.js';

describe('asOperatorError', () => {
  it('keeps a BorealisError as it is', () => {
    const error = new BorealisError('NO_DEPLOYMENT', 'none');
    assert.equal(asOperatorError(error), error);
  });

  it('makes a ZooKeeper failure ZK_FAILED', () => {
    const error = new ZkError(ZK_CODES.NO_AUTH, 'NO_AUTH', '/x', 'zookeeper getData /x: NO_AUTH');
    assert.equal(asOperatorError(error)?.code, 'ZK_FAILED');
  });

  it('makes a refusal of the operating system SYSTEM, with a hint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'borealis-system-'));
    try {
      const file = join(dir, 'file');
      await writeFile(file, '');
      const error: unknown = await readFile(join(file, 'below')).catch((failure: unknown) => failure);
      const known = asOperatorError(error);
      assert.equal(known?.code, 'SYSTEM');
      assert.match(known?.hint ?? '', /not a directory/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('leaves a missing file, and any other error, to be reported as a bug', async () => {
    const missing: unknown = await readFile(join(tmpdir(), 'borealis-no-such-file')).catch((e: unknown) => e);
    assert.equal(asOperatorError(missing), undefined);
    assert.equal(asOperatorError(new TypeError('x is undefined')), undefined);
  });
});

describe('formatOperatorError', () => {
  it('prints the code, and each of message and hint on one line', () => {
    const error = new BorealisError('CLONE_FAILED', 'cannot clone x:\nfatal: no\n', {
      hint: 'check\nthe URL',
    });
    assert.equal(
      formatOperatorError(error),
      'borealis: CLONE_FAILED: cannot clone x: fatal: no\nhint: check the URL\n',
    );
  });
});

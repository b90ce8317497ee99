import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyCommitSignature, type CommitSignature } from '../../src/source/signatures.js';
import { SigningLab, type GpgKey, type SshKey } from '../support/signing.js';

// Every key, file and commit here is real: ssh-keygen and gpg make the keys, git signs and
// verifies. What git 2.39 prints for each case is noted beside it (the %G? letter).

/** Runs the code under test with the lab's environment, so ~/.gitconfig and ~/.gnupg stay out. */
function adoptEnv(env: NodeJS.ProcessEnv): () => void {
  const saved = { ...process.env };
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];
  Object.assign(process.env, env);
  return () => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  };
}

/** A commit message that comes after the raw commit's headers. */
function replaceMessage(raw: string, message: string): string {
  return `${raw.slice(0, raw.indexOf('\n\n'))}\n\n${message}`;
}

/** Adds header lines after the committer line of a raw commit. */
function addHeader(raw: string, header: string): string {
  return raw.replace(/^(committer .*)$/m, `$1\n${header}`);
}

function assertNotTrusted(result: CommitSignature, status: CommitSignature['status']): void {
  assert.equal(result.status, status, result.detail);
  assert.equal(result.trusted, false);
  assert.match(result.detail, /\S/);
}

describe('verifyCommitSignature', () => {
  let lab: SigningLab;
  let restoreEnv: () => void;
  let ada: SshKey;
  let eve: SshKey;
  let allowed: string;
  let emptyAllowed: string;
  let sshSigned: string;
  let sshByEve: string;
  let unsigned: string;

  before(() => {
    lab = new SigningLab();
    restoreEnv = adoptEnv(lab.env);
    ada = lab.sshKey('ada');
    eve = lab.sshKey('eve');
    allowed = lab.allowedSigners('allowed_signers', [{ principal: 'ada@example.com', key: ada }]);
    emptyAllowed = lab.file('empty_allowed_signers', '# nobody yet\n');
    sshSigned = lab.commit('signed by ada', { ssh: ada });
    unsigned = lab.commit('not signed');
    sshByEve = lab.commit('signed by eve', { ssh: eve });
    // With this set, plain `git log --format` output would include the verification text.
    lab.git('config', 'log.showSignature', 'true');
  });
  after(() => {
    restoreEnv();
    lab.remove();
  });

  describe('SSH', () => {
    it('a commit signed with an allowed key is good and trusted, with its signer (G)', async () => {
      const result = await verifyCommitSignature(lab.repo, sshSigned, { allowedSignersFile: allowed });
      assert.deepEqual(result, {
        status: 'good',
        trusted: true,
        format: 'ssh',
        key: ada.fingerprint,
        signer: 'ada@example.com',
        detail: `good SSH signature by ada@example.com (${ada.fingerprint})`,
      });
    });

    it('accepts any revision naming the commit, and a path relative to the working directory', async () => {
      const byRef = await verifyCommitSignature(lab.repo, 'main~2', { allowedSignersFile: allowed });
      assert.equal(byRef.status, 'good');
      const cwd = process.cwd();
      process.chdir(lab.root);
      try {
        const relative = await verifyCommitSignature(lab.repo, sshSigned.slice(0, 12), {
          allowedSignersFile: 'allowed_signers',
        });
        assert.equal(relative.status, 'good');
      } finally {
        process.chdir(cwd);
      }
    });

    it('an unsigned commit is unsigned and not trusted (N, no gpgsig)', async () => {
      const result = await verifyCommitSignature(lab.repo, unsigned, { allowedSignersFile: allowed });
      assert.deepEqual(result, { status: 'unsigned', trusted: false, detail: 'commit is not signed' });
    });

    it('a key not in the allowed signers file is untrusted (U)', async () => {
      const result = await verifyCommitSignature(lab.repo, sshByEve, { allowedSignersFile: allowed });
      assertNotTrusted(result, 'untrusted');
      assert.equal(result.format, 'ssh');
      assert.equal(result.key, eve.fingerprint);
      assert.equal(result.signer, undefined);
      assert.equal(result.detail, `signed by a key not in the allowed signers file (${eve.fingerprint})`);
    });

    it('a missing allowed signers file trusts nobody (U)', async () => {
      const missing = `${lab.root}/no-such-file`;
      const result = await verifyCommitSignature(lab.repo, sshSigned, { allowedSignersFile: missing });
      assertNotTrusted(result, 'untrusted');
      assert.equal(result.key, ada.fingerprint);
      assert.match(result.detail, /allowed signers file .*no-such-file does not exist/);
    });

    it('an empty allowed signers file trusts nobody (U)', async () => {
      const result = await verifyCommitSignature(lab.repo, sshSigned, { allowedSignersFile: emptyAllowed });
      assertNotTrusted(result, 'untrusted');
      assert.match(result.detail, /has no entries/);
    });

    it('an allowed signers entry outside its validity period is untrusted (U)', async () => {
      const expired = lab.allowedSigners('expired_signers', [
        { principal: 'ada@example.com', key: ada, options: 'valid-before="20000101"' },
      ]);
      const result = await verifyCommitSignature(lab.repo, sshSigned, { allowedSignersFile: expired });
      assertNotTrusted(result, 'untrusted');
      assert.match(result.detail, /outside its validity period/);
    });

    it('an SSH signature with no allowed signers file configured is unverifiable, not unsigned (N + gpgsig)', async () => {
      const result = await verifyCommitSignature(lab.repo, sshSigned, {});
      assertNotTrusted(result, 'unverifiable');
      assert.equal(result.format, 'ssh');
      assert.match(result.detail, /no allowed signers file is configured/);
    });

    it('a signature moved onto an altered commit is bad (B)', async () => {
      const tampered = lab.forge(sshSigned, (raw) => replaceMessage(raw, 'signed by ada, honest'));
      const result = await verifyCommitSignature(lab.repo, tampered, { allowedSignersFile: allowed });
      assertNotTrusted(result, 'bad');
      assert.equal(result.format, 'ssh');
      assert.match(result.detail, /does not match the commit/);
    });

    it('a key in gpg.ssh.revocationFile is bad, as git 2.39 reports it (B)', async () => {
      lab.file('revoked_keys', `${ada.publicKey}\n`);
      lab.git('config', 'gpg.ssh.revocationFile', `${lab.root}/revoked_keys`);
      try {
        const result = await verifyCommitSignature(lab.repo, sshSigned, { allowedSignersFile: allowed });
        assertNotTrusted(result, 'bad');
      } finally {
        lab.git('config', '--unset', 'gpg.ssh.revocationFile');
      }
    });
  });

  describe('GPG', () => {
    let grace: GpgKey;
    let trustedHome: string;
    let gpgSigned: string;

    before(() => {
      trustedHome = lab.gpgHome('trusted');
      grace = lab.gpgKey(trustedHome, 'Grace Hopper <grace@example.com>');
      gpgSigned = lab.commit('signed by grace', { gpg: grace });
    });

    it('a commit signed by a key that is valid in gpgHome is good and trusted (G)', async () => {
      const result = await verifyCommitSignature(lab.repo, gpgSigned, { gpgHome: trustedHome });
      assert.deepEqual(result, {
        status: 'good',
        trusted: true,
        format: 'gpg',
        key: grace.fingerprint,
        signer: 'Grace Hopper <grace@example.com>',
        detail: `good GPG signature by Grace Hopper <grace@example.com> (${grace.fingerprint})`,
      });
    });

    it('a key missing from gpgHome is unverifiable, with its key id (E)', async () => {
      const emptyHome = lab.gpgHome('empty');
      const result = await verifyCommitSignature(lab.repo, gpgSigned, { gpgHome: emptyHome });
      assertNotTrusted(result, 'unverifiable');
      assert.equal(result.format, 'gpg');
      assert.equal(result.key, grace.fingerprint.slice(-16));
      assert.match(result.detail, /is not in .*gnupg-empty/);
    });

    it('an imported but uncertified key is untrusted (U), and trust-model always makes it good (G)', async () => {
      const importedHome = lab.gpgHome('imported');
      lab.importPublicKey(grace, importedHome);
      const imported = await verifyCommitSignature(lab.repo, gpgSigned, { gpgHome: importedHome });
      assertNotTrusted(imported, 'untrusted');
      assert.equal(imported.signer, grace.uid);
      assert.match(imported.detail, /not certified as trusted/);

      const alwaysHome = lab.gpgHome('always');
      lab.importPublicKey(grace, alwaysHome);
      lab.file('gnupg-always/gpg.conf', 'trust-model always\n');
      const always = await verifyCommitSignature(lab.repo, gpgSigned, { gpgHome: alwaysHome });
      assert.equal(always.status, 'good');
    });

    it('a GPG signature moved onto an altered commit is bad (B)', async () => {
      const tampered = lab.forge(gpgSigned, (raw) => replaceMessage(raw, 'signed by grace, honest'));
      const result = await verifyCommitSignature(lab.repo, tampered, { gpgHome: trustedHome });
      assertNotTrusted(result, 'bad');
      assert.equal(result.format, 'gpg');
    });

    it('an expired key (Y) and an expired signature (X) are expired', async () => {
      // Keys and signatures made on a faked 2020 clock, checked today.
      const pastHome = lab.gpgHome('past');
      const past = ['--faked-system-time', '20200101T000000'];
      const shortLived = lab.gpgKey(pastHome, 'Old Key <old@example.com>', '1d', past);
      const longLived = lab.gpgKey(pastHome, 'Old Sig <sig@example.com>', 'never', past);
      const then = lab.gpgWrapper('gpg-2020', ['--faked-system-time', '20200101T120000']);
      const thenExpiring = lab.gpgWrapper('gpg-2020-sig-1d', [
        '--faked-system-time',
        '20200101T120000',
        '--default-sig-expire',
        '1d',
      ]);
      const byExpiredKey = lab.commit('old key', { gpg: shortLived, gpgProgram: then });
      const expiredSig = lab.commit('old signature', { gpg: longLived, gpgProgram: thenExpiring });

      const y = await verifyCommitSignature(lab.repo, byExpiredKey, { gpgHome: pastHome });
      assertNotTrusted(y, 'expired');
      assert.match(y.detail, /whose key has expired/);
      const x = await verifyCommitSignature(lab.repo, expiredSig, { gpgHome: pastHome });
      assertNotTrusted(x, 'expired');
      assert.match(x.detail, /signature by Old Sig .* has expired/);
    });

    it('a revoked key is revoked (R)', async () => {
      const home = lab.gpgHome('revoked');
      const rita = lab.gpgKey(home, 'Rita Revoked <rita@example.com>');
      const signed = lab.commit('signed by rita', { gpg: rita });
      lab.revoke(rita);
      const result = await verifyCommitSignature(lab.repo, signed, { gpgHome: home });
      assertNotTrusted(result, 'revoked');
      assert.equal(result.signer, rita.uid);
    });
  });

  describe('signatures git cannot check', () => {
    it('an x509 signature gpgsm cannot parse is unverifiable, not unsigned (N + gpgsig)', async () => {
      const x509 = lab.forge(unsigned, (raw) =>
        addHeader(raw, 'gpgsig -----BEGIN SIGNED MESSAGE-----\n AAAA\n -----END SIGNED MESSAGE-----'),
      );
      const result = await verifyCommitSignature(lab.repo, x509, { allowedSignersFile: allowed });
      assertNotTrusted(result, 'unverifiable');
      assert.equal(result.format, 'x509');
    });

    it('a signature in a format git does not know is unverifiable (git log fails)', async () => {
      const odd = lab.forge(unsigned, (raw) =>
        addHeader(raw, 'gpgsig -----BEGIN FOO-----\n AAAA\n -----END FOO-----'),
      );
      const result = await verifyCommitSignature(lab.repo, odd, { allowedSignersFile: allowed });
      assertNotTrusted(result, 'unverifiable');
      assert.equal(result.format, undefined);
      assert.match(result.detail, /bad\/incompatible signature/);
    });

    it("a merged tag's signature is not taken for the commit's own", async () => {
      const merged = lab.forge(unsigned, (raw) =>
        addHeader(
          raw,
          'mergetag object 0000000000000000000000000000000000000000\n type commit\n tag v1\n' +
            ' tagger Ada <ada@example.com> 1700000000 +0000\n \n v1\n -----BEGIN PGP SIGNATURE-----\n AAAA\n' +
            ' -----END PGP SIGNATURE-----',
        ),
      );
      const result = await verifyCommitSignature(lab.repo, merged, { allowedSignersFile: allowed });
      assert.equal(result.status, 'unsigned');
    });
  });

  describe('invalid input', () => {
    for (const [name, commit] of [
      ['an unknown revision', 'no-such-branch'],
      ['an object id that is not in the repository', 'f'.repeat(40)],
      ['an empty string', ''],
      ['an option', '--all'],
      ['a revision with a newline', 'main\nmain'],
    ] as const) {
      it(`throws on ${name}`, async () => {
        await assert.rejects(
          verifyCommitSignature(lab.repo, commit, {}),
          /is not a commit in|invalid commit id/,
        );
      });
    }

    it('throws on an object that is not a commit', async () => {
      const tree = lab.git('rev-parse', 'HEAD^{tree}');
      await assert.rejects(
        verifyCommitSignature(lab.repo, tree, {}),
        /is not a commit in .*expected commit type/,
      );
    });

    it('throws when the directory is not a Git repository', async () => {
      const plain = lab.dir('plain');
      await assert.rejects(verifyCommitSignature(plain, 'HEAD', {}), /not a git repository/);
      await assert.rejects(
        verifyCommitSignature(`${plain}/missing`, 'HEAD', {}),
        /missing is not a directory/,
      );
    });
  });
});

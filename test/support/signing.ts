/**
 * Real signing keys and signed commits for signature tests: SSH keys from ssh-keygen, GPG
 * keys in their own GNUPGHOMEs, and a repository in a temp directory. HOME and git's
 * global config point into the lab, so the machine's own git and gpg setup cannot change
 * what a test sees.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SshKey {
  /** The public key file; git signs with it and ssh-keygen finds the private key beside it. */
  publicKeyFile: string;
  /** `ssh-ed25519 AAAA…`, the form an allowed signers line takes. */
  publicKey: string;
  /** `SHA256:…`, as git's %GK/%GF print it. */
  fingerprint: string;
}

export interface GpgKey {
  home: string;
  fingerprint: string;
  uid: string;
}

export interface SignOptions {
  ssh?: SshKey;
  gpg?: GpgKey;
  /** A gpg.program to sign with instead of gpg, e.g. one that fakes the clock. */
  gpgProgram?: string;
}

export class SigningLab {
  readonly root: string;
  readonly home: string;
  readonly repo: string;
  /** The environment every command here runs with; tests can adopt it for the code under test. */
  readonly env: NodeJS.ProcessEnv;
  private readonly gpgHomes: string[] = [];
  private counter = 0;

  constructor() {
    this.root = mkdtempSync(join(tmpdir(), 'borealis-sig-'));
    this.home = this.dir('home');
    this.repo = this.dir('repo');
    this.env = hermeticEnv(this.home);
    this.git('init', '-q', '-b', 'main');
  }

  /** A fresh directory inside the lab. */
  dir(name: string): string {
    const path = join(this.root, name);
    mkdirSync(path, { recursive: true, mode: 0o700 });
    return path;
  }

  file(name: string, content: string): string {
    const path = join(this.root, name);
    writeFileSync(path, content);
    return path;
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.repo, env: this.env, encoding: 'utf8' }).trim();
  }

  sshKey(name: string): SshKey {
    const file = join(this.root, `ssh-${name}`);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file], { env: this.env });
    const publicKeyFile = `${file}.pub`;
    const publicKey = readFileSync(publicKeyFile, 'utf8').split(' ').slice(0, 2).join(' ');
    const listing = execFileSync('ssh-keygen', ['-l', '-f', publicKeyFile], { encoding: 'utf8' });
    return { publicKeyFile, publicKey, fingerprint: listing.split(' ')[1]! };
  }

  /** An allowed signers file with one `principal key` line per entry (options may precede the key). */
  allowedSigners(
    name: string,
    entries: readonly { principal: string; key: SshKey; options?: string }[],
  ): string {
    const lines = entries.map((e) => [e.principal, e.options, e.key.publicKey].filter(Boolean).join(' '));
    return this.file(name, lines.map((line) => `${line}\n`).join(''));
  }

  /** A new GNUPGHOME, empty until keys are made or imported into it. */
  gpgHome(name: string): string {
    const home = this.dir(`gnupg-${name}`);
    this.gpgHomes.push(home);
    return home;
  }

  /**
   * A signing key generated in `home`, so it is ultimately trusted there. `gpgArgs` go
   * before the command, e.g. `--faked-system-time` for a key made in the past.
   */
  gpgKey(home: string, uid: string, expire = 'never', gpgArgs: readonly string[] = []): GpgKey {
    this.gpg(
      home,
      ...gpgArgs,
      '--passphrase',
      '',
      '--pinentry-mode',
      'loopback',
      '--quick-gen-key',
      uid,
      'ed25519',
      'sign',
      expire,
    );
    const colons = this.gpg(home, '--with-colons', '--list-keys', uid);
    const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(colons)?.[1];
    if (!fingerprint) throw new Error(`no fingerprint for ${uid} in ${home}`);
    return { home, fingerprint, uid };
  }

  /** Copies the public half of `key` into `home`, without certifying it. */
  importPublicKey(key: GpgKey, home: string): void {
    const exported = execFileSync('gpg', ['--batch', '--export', '--armor', key.fingerprint], {
      env: { ...this.env, GNUPGHOME: key.home },
    });
    execFileSync('gpg', ['--batch', '--quiet', '--import'], {
      input: exported,
      env: { ...this.env, GNUPGHOME: home },
    });
  }

  /** Revokes `key` in its own home with the revocation certificate gpg made with the key. */
  revoke(key: GpgKey): void {
    const certificate = readFileSync(join(key.home, 'openpgp-revocs.d', `${key.fingerprint}.rev`), 'utf8');
    // gpg escapes the armour line with ':' so the certificate cannot be imported by accident.
    const armoured = certificate.replace(/^:-----BEGIN/m, '-----BEGIN');
    execFileSync('gpg', ['--batch', '--quiet', '--import'], {
      input: armoured,
      env: { ...this.env, GNUPGHOME: key.home },
    });
  }

  /** An executable gpg.program that runs gpg with `args` first (a faked clock, a signature expiry). */
  gpgWrapper(name: string, args: readonly string[]): string {
    const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const path = this.file(name, `#!/bin/sh\nexec gpg ${quoted} "$@"\n`);
    chmodSync(path, 0o755);
    return path;
  }

  /** Makes an empty commit, signed as asked, and returns its id. */
  commit(message: string, sign: SignOptions = {}): string {
    const config: string[] = [];
    if (sign.ssh) config.push('-c', 'gpg.format=ssh', '-c', `user.signingkey=${sign.ssh.publicKeyFile}`);
    if (sign.gpg) config.push('-c', 'gpg.format=openpgp', '-c', `user.signingkey=${sign.gpg.fingerprint}`);
    if (sign.gpgProgram) config.push('-c', `gpg.program=${sign.gpgProgram}`);
    const signed = sign.ssh || sign.gpg ? ['-S'] : [];
    // Distinct commit times keep ids distinct even for equal messages.
    const date = `@${1_700_000_000 + this.counter++} +0000`;
    execFileSync('git', [...config, 'commit', '-q', '--allow-empty', ...signed, '-m', message], {
      cwd: this.repo,
      env: {
        ...this.env,
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_DATE: date,
        ...(sign.gpg ? { GNUPGHOME: sign.gpg.home } : {}),
      },
    });
    return this.git('rev-parse', 'HEAD');
  }

  /**
   * Writes a commit object made by `edit`ing the raw text of `commit` (e.g. a changed
   * message under the original signature) and returns its id.
   */
  forge(commit: string, edit: (raw: string) => string): string {
    const raw = this.git('cat-file', 'commit', commit);
    return execFileSync('git', ['hash-object', '-t', 'commit', '-w', '--stdin'], {
      cwd: this.repo,
      env: this.env,
      input: `${edit(raw)}\n`,
      encoding: 'utf8',
    }).trim();
  }

  /** Stops the gpg-agents the lab's GNUPGHOMEs started, then deletes the lab. */
  remove(): void {
    // The env's default GNUPGHOME too: a verification without a gpgHome may have used it.
    for (const home of [...this.gpgHomes, this.env.GNUPGHOME!]) {
      if (!existsSync(home) || readdirSync(home).length === 0) continue; // gpg never ran there
      try {
        execFileSync('gpgconf', ['--kill', 'gpg-agent'], {
          env: { ...this.env, GNUPGHOME: home },
          stdio: 'ignore',
        });
      } catch {
        // no agent was running for this home
      }
    }
    rmSync(this.root, { recursive: true, force: true });
  }

  private gpg(home: string, ...args: string[]): string {
    return execFileSync('gpg', ['--batch', '--quiet', ...args], {
      env: { ...this.env, GNUPGHOME: home },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }
}

/** The process environment minus everything that would let the machine's setup leak in. */
function hermeticEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('GIT_') && name !== 'GNUPGHOME' && name !== 'SSH_AUTH_SOCK') env[name] = value;
  }
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: join(home, '.gitconfig'),
    GNUPGHOME: join(home, '.gnupg'),
    GIT_AUTHOR_NAME: 'Ada Author',
    GIT_AUTHOR_EMAIL: 'ada@example.com',
    GIT_COMMITTER_NAME: 'Ada Author',
    GIT_COMMITTER_EMAIL: 'ada@example.com',
    LC_ALL: 'C',
  };
}

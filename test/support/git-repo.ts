/** Real Git repositories in temporary directories, for tests that read commits. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A fixed identity and no system or user configuration, for reproducible commits. */
export const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Ada Author',
  GIT_AUTHOR_EMAIL: 'ada@example.com',
  GIT_COMMITTER_NAME: 'Cy Committer',
  GIT_COMMITTER_EMAIL: 'cy@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: tmpdir(),
};

export class TempGitRepo {
  readonly dir: string;

  constructor(prefix = 'borealis-git-') {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
    this.git('init', '-q', '-b', 'main');
    // No gc in the background after a large commit: on a busy machine it was still writing
    // into the repository when the test removed it (ENOTEMPTY).
    this.git('config', 'gc.auto', '0');
    this.git('config', 'maintenance.auto', 'false');
  }

  git(...args: string[]): string {
    return execFileSync('git', args, {
      cwd: this.dir,
      env: { ...process.env, ...GIT_ENV },
      encoding: 'utf8',
    }).trim();
  }

  write(files: Record<string, string>): void {
    for (const [path, content] of Object.entries(files)) {
      const full = join(this.dir, path);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
    }
  }

  /** Writes the files, commits everything and returns the new commit id. */
  commit(message: string, files: Record<string, string> = {}): string {
    this.write(files);
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

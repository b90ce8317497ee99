/**
 * The floor of a plan: the least any tool must do to know what a commit asks for. Read
 * every YAML file of the commit through one `git cat-file --batch` and parse each with
 * yaml's `parse` — no validation, no planning, no cluster. Run as its own process
 * (`node floor.js <repo> <ref>`) so it is measured the way `borealis plan` is.
 */
import { execFileSync, spawn } from 'node:child_process';
import { parse } from 'yaml';

const [repo = '.', ref = 'HEAD'] = process.argv.slice(2);
const listing = execFileSync('git', ['ls-tree', '-r', '-z', ref], { cwd: repo, maxBuffer: 1 << 30 }).toString(
  'utf8',
);
const blobs = listing
  .split('\0')
  .filter((entry) => entry.endsWith('.yaml'))
  .map((entry) => entry.split(/\s+/)[2]!);

const git = spawn('git', ['cat-file', '--batch'], { cwd: repo, stdio: ['pipe', 'pipe', 'inherit'] });
git.stdin.end(`${blobs.join('\n')}\n`);
const chunks: Buffer[] = [];
for await (const chunk of git.stdout) chunks.push(chunk as Buffer);
const out = Buffer.concat(chunks);

let parsed = 0;
for (let at = 0; at < out.length;) {
  const headerEnd = out.indexOf(10, at);
  const size = Number(out.subarray(at, headerEnd).toString('latin1').split(' ')[2]);
  parse(out.subarray(headerEnd + 1, headerEnd + 1 + size).toString('utf8'));
  parsed++;
  at = headerEnd + 1 + size + 1;
}
process.stdout.write(`${parsed}\n`);

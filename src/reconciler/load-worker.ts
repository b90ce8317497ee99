/**
 * The worker thread the daemon loads job files in (`off-thread.ts` starts it): a costly
 * file blocks this thread, not the daemon's HTTP server and timers, and the daemon can end
 * it when the load runs out of time or memory. Each request is one job file; templates are
 * asked of the daemon, which reads them from Git within the size limits, and kept for the
 * rest of that load.
 */
import { parentPort } from 'node:worker_threads';
import { loadFileText, templateFile, type TemplateText } from '../jobspec/load.js';
import type { ParsedFile } from '../jobspec/yaml.js';
import type { FromWorker, ToWorker } from './off-thread.js';

const port = parentPort!;
const templateAnswers = new Map<number, (found: TemplateText | null) => void>();
let nextTemplate = 0;
/** The templates parsed for the current load (a load is one commit). */
let parsed: { load: number; files: Map<string, ParsedFile> } = { load: -1, files: new Map() };

const send = (message: FromWorker) => port.postMessage(message);

port.on('message', (message: ToWorker) => {
  if (message.kind === 'template') {
    templateAnswers.get(message.request)?.(message.found);
    templateAnswers.delete(message.request);
    return;
  }
  if (parsed.load !== message.load) parsed = { load: message.load, files: new Map() };
  const templates = parsed.files;
  const problems: TemplateText['problems'] = [];
  const loadTemplate = async (path: string): Promise<ParsedFile | null> => {
    const known = templates.get(path);
    if (known) return known;
    const request = nextTemplate++;
    const found = await new Promise<TemplateText | null>((resolve) => {
      templateAnswers.set(request, resolve);
      send({ kind: 'template', call: message.call, request, path });
    });
    if (!found) return null;
    const file = templateFile(path, found);
    problems.push(...file.problems);
    templates.set(path, file);
    return file;
  };
  send({ kind: 'started', call: message.call });
  loadFileText(message.path, message.text, loadTemplate).then(
    (outcome) => {
      outcome.problems.push(...problems);
      send({ kind: 'loaded', call: message.call, outcome });
    },
    (error: unknown) => send({ kind: 'failed', call: message.call, message: String(error) }),
  );
});

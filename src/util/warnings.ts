/**
 * Warnings about the state Borealis found and repaired on its own (a cache entry that did
 * not match its hash, a stamp rebuilt, an unreadable old history record skipped): worth an
 * operator's attention, never a reason to stop. One sink per process: a command's standard
 * error, or the daemon's log.
 */
export type WarningSink = (message: string) => void;

const toStderr: WarningSink = (message) => process.stderr.write(`borealis: warning: ${message}\n`);

let sink: WarningSink = toStderr;

export function warn(message: string): void {
  sink(message);
}

/** Sends warnings to `next` until the returned function puts the previous sink back. */
export function setWarningSink(next: WarningSink): () => void {
  const previous = sink;
  sink = next;
  return () => {
    sink = previous;
  };
}

/**
 * Warnings about the state Borealis found and repaired on its own (a cache entry that did
 * not match its hash, a stamp rebuilt, an unreadable old history record skipped): worth an
 * operator's attention, never a reason to stop. One sink per process, set by its entry
 * point: a command's standard error (`cli/main.ts`), or the daemon's log (`watch`).
 */
export type WarningSink = (message: string) => void;

/** Until an entry point sets a sink (a library use, a test), Node's own warning channel hears them. */
const toNodeWarnings: WarningSink = (message) => process.emitWarning(message, 'BorealisWarning');

let sink: WarningSink = toNodeWarnings;

export function warn(message: string): void {
  sink(message);
}

/** A sink that passes each distinct message on once: a damage met on every pass is said once per process. */
export function onceEach(sink: WarningSink): WarningSink {
  const said = new Set<string>();
  return (message) => {
    if (!said.has(message)) sink(message);
    said.add(message);
  };
}

/** Sends warnings to `next` until the returned function puts the previous sink back. */
export function setWarningSink(next: WarningSink): () => void {
  const previous = sink;
  sink = next;
  return () => {
    sink = previous;
  };
}

/**
 * From one detection to the next: which drifts open, which resolve, which are due a
 * reminder. Pure, so the rules that decide how often people are told are table-tested:
 * a drift is announced once when it opens and once when it resolves, reminded no more
 * often than `reminderMs`, and a pending one (neither clearly present nor over) stays as
 * it is. A flapping instance's `missing` is absorbed: flapping already explains it.
 */
import type { DriftStatus } from '../notify/events.js';
import type { Detection, Drift } from './detect.js';

export interface OpenDrift extends Drift {
  /** Epoch ms it was first announced. */
  openedAt: number;
  /** Epoch ms it was last announced (opened or reminded). */
  notifiedAt: number;
}

export interface DriftChange {
  status: DriftStatus;
  drift: Drift;
}

export interface Transition {
  open: OpenDrift[];
  changes: DriftChange[];
}

export function nextTransition(
  open: readonly OpenDrift[],
  detection: Detection,
  now: number,
  reminderMs: number,
): Transition {
  const before = new Map(open.map((drift) => [drift.id, drift]));
  const pending = new Set(detection.pending);
  const flapping = new Set(
    [...detection.present, ...open.filter((d) => pending.has(d.id))]
      .filter((d) => d.kind === 'flapping')
      .map(instanceKey),
  );
  const absorbed = (drift: Drift) => drift.kind === 'missing' && flapping.has(instanceKey(drift));
  const next: OpenDrift[] = [];
  const changes: DriftChange[] = [];
  for (const drift of detection.present) {
    if (absorbed(drift)) continue;
    const known = before.get(drift.id);
    if (!known) {
      next.push({ ...drift, openedAt: now, notifiedAt: now });
      changes.push({ status: 'opened', drift });
    } else if (now - known.notifiedAt >= reminderMs) {
      next.push({ ...drift, since: known.since, openedAt: known.openedAt, notifiedAt: now });
      changes.push({ status: 'reminder', drift: { ...drift, since: known.since } });
    } else
      next.push({ ...drift, since: known.since, openedAt: known.openedAt, notifiedAt: known.notifiedAt });
  }
  const present = new Set(detection.present.map((drift) => drift.id));
  for (const drift of open) {
    if (present.has(drift.id)) continue;
    if (absorbed(drift)) continue; // closed without a word: the flapping drift speaks for it
    if (pending.has(drift.id)) next.push(drift);
    else changes.push({ status: 'resolved', drift: withoutOpenFields(drift) });
  }
  return { open: next, changes };
}

function instanceKey(drift: Drift): string {
  return `${drift.job}/${drift.instance ?? ''}`;
}

function withoutOpenFields(drift: OpenDrift): Drift {
  const { openedAt: _opened, notifiedAt: _notified, ...rest } = drift;
  return rest;
}

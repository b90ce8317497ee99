import { closest, distance } from 'fastest-levenshtein';

/**
 * The likely intended name for a misspelled one: a candidate it abbreviates (`cmd` →
 * `cmdline`), else the closest by edit distance when close enough to be a typo.
 */
export function didYouMean(name: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const lower = name.toLowerCase();
  const extensions = candidates.filter((c) => lower.length >= 2 && c.toLowerCase().startsWith(lower));
  if (extensions.length > 0) return extensions.sort((a, b) => a.length - b.length)[0];
  const best = closest(
    lower,
    candidates.map((c) => c.toLowerCase()),
  );
  const match = candidates.find((c) => c.toLowerCase() === best)!;
  const tolerance = Math.max(2, Math.floor(match.length / 3));
  return distance(lower, best) <= tolerance || lower.startsWith(best) ? match : undefined;
}

import { closest, distance } from 'fastest-levenshtein';

/** The closest candidate to a misspelled name, when it is close enough to be a likely typo. */
export function didYouMean(name: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(
    name.toLowerCase(),
    candidates.map((c) => c.toLowerCase()),
  );
  const match = candidates.find((c) => c.toLowerCase() === best)!;
  const tolerance = Math.max(2, Math.floor(match.length / 3));
  const isPrefix = match.startsWith(name) || name.startsWith(match);
  return distance(name.toLowerCase(), best) <= tolerance || isPrefix ? match : undefined;
}

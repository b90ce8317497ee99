/**
 * Whether output is coloured, decided in one place: never with `--no-color`, a non-empty
 * NO_COLOR (no-color.org) or TERM=dumb, and only when the output is a terminal.
 */
export function useColour(
  stream: { isTTY?: boolean },
  flag: boolean | undefined,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR) return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/**
 * Where keys live under the store's root znode. Key `jobs/web` is the znode
 * `<root>/jobs/web`: one znode per key segment, so `zkCli.sh ls` reads like the key space.
 *
 * Names containing `@` belong to the store itself (`@chunks`): `@` is not a key character
 * (see `assertValidKey`), so they can never collide with a key, and `list` skips them.
 */

/** The store's own subtree for the pieces of values too large for one znode. */
export const CHUNKS_NODE = '@chunks';

/** `/a/b/` → `/a/b`; throws for a root that is not an absolute znode path. */
export function normaliseRoot(chroot: string): string {
  const root = chroot.replace(/\/+$/, '');
  if (
    !chroot.startsWith('/') ||
    root
      .split('/')
      .slice(1)
      .some((part) => part === '' || part === '.' || part === '..')
  ) {
    throw new Error(
      `invalid ZooKeeper state chroot ${JSON.stringify(chroot)}: expected an absolute path such as /borealis/state`,
    );
  }
  return root;
}

/** The znode of a key (`root` may be '' for the ZooKeeper root). */
export function keyPath(root: string, key: string): string {
  return `${root}/${key}`;
}

/** The znode whose children are the segments under `prefix` ('' is the root). */
export function prefixPath(root: string, prefix: string): string {
  return prefix === '' ? root || '/' : keyPath(root, prefix);
}

/** A child znode's path (`parent` may be `/`). */
export function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** The parent znode of a key's znode. */
export function parentPath(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/';
}

/** The key whose znode is the parent of `key`'s, or undefined at the top level. */
export function parentKey(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  return slash < 0 ? undefined : key.slice(0, slash);
}

export function isInternalName(name: string): boolean {
  return name.includes('@');
}

/**
 * The znode holding the chunks of one key's values: flat under `@chunks`, the key's
 * segments joined by `+` (not a key character either, so the mapping is one-to-one).
 */
export function chunkDirectory(root: string, key: string): string {
  return `${root}/${CHUNKS_NODE}/${key.split('/').join('+')}`;
}

/** Chunk `index` of the value written by write `id`. */
export function chunkPath(root: string, key: string, id: string, index: number): string {
  return `${chunkDirectory(root, key)}/${id}.${index}`;
}

/** The write id a chunk's name carries (`<id>.<index>`). */
export function chunkWriteId(name: string): string {
  return name.slice(0, name.lastIndexOf('.'));
}

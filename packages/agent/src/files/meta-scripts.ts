// The shell scripts behind list, stat, remove, mkdir and move (PROTOCOL.md §9c). They run inside
// the container through `<engine> exec`, so every path resolves in its mount namespace and can
// never reach the host. POSIX sh with stat, readlink, mkdir, mv, rm and dirname (coreutils or
// busybox); exit codes name the failure (META_EXIT). Output is parsed by meta-output.ts.

/** Exit codes the scripts use for expected failures. */
export const META_EXIT = {
  NOT_FOUND: 3,
  NOT_A_DIRECTORY: 4,
  EXISTS: 5,
  NOT_EMPTY: 7,
} as const;

/**
 * Prints entries for the arguments: their names (NUL-terminated, then an empty record), one stat
 * line each (`type|size|mode|mtime`, then a NUL), and each one's link target (NUL-terminated,
 * empty for non-links). Names and targets may hold any byte but NUL; stat lines hold no NUL.
 */
const ENTRIES = `entries() {
  for n; do printf '%s\\0' "$n"; done; printf '\\0'
  if [ $# -gt 0 ]; then stat -c '%F|%s|%a|%Y' -- "$@"; fi; printf '\\0'
  for n; do if [ -L "$n" ]; then printf '%s' "$(readlink -- "$n")"; fi; printf '\\0'; done
}
exists() { [ -e "$1" ] || [ -L "$1" ]; }
`;

export const META_SCRIPTS = {
  stat: `${ENTRIES}exists "$1" || exit 3
entries "$1"`,
  list: `${ENTRIES}exists "$1" || exit 3
[ -d "$1" ] || exit 4
cd -- "$1" || exit 1
set --
for n in * .[!.]* ..?*; do exists "$n" && set -- "$@" "$n"; done
entries "$@"`,
  remove: `${ENTRIES}exists "$1" || exit 3
if [ -d "$1" ] && [ ! -L "$1" ]; then
  if [ "$2" = 1 ]; then rm -rf -- "$1"; else rmdir -- "$1" 2>/dev/null || exit 7; fi
else rm -f -- "$1"; fi`,
  mkdir: `${ENTRIES}if exists "$1"; then
  if [ "$2" = 1 ] && [ -d "$1" ]; then entries "$1"; exit 0; fi
  exit 5
fi
if [ "$2" = 1 ]; then mkdir -p -- "$1"; else
  [ -d "$(dirname -- "$1")" ] || exit 3
  mkdir -- "$1"
fi && entries "$1"`,
  move: `${ENTRIES}exists "$1" || exit 3
exists "$2" && exit 5
[ -d "$(dirname -- "$2")" ] || exit 3
mv -- "$1" "$2" && entries "$2"`,
} as const;

export type MetaKind = keyof typeof META_SCRIPTS;

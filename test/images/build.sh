#!/usr/bin/env bash
# Builds the local container images the end-to-end suites use, for podman or docker: a busybox
# image from the static busybox binary and a real Debian bookworm rootfs from debootstrap, tagged
# under the names the tests (test/helpers/engine.ts) and the image catalog expect. No registry is
# needed. Cached: an image the engine already has is skipped, and the debootstrap tarball is kept
# under ${REXEC_IMAGE_CACHE:-$HOME/.cache/rexec-images}. Installing the tools is .ci/run's job.
set -euo pipefail

readonly BUSYBOX_IMAGE='localhost/rexec-test/busybox:latest'
readonly DEBIAN_IMAGE='docker.io/library/debian:bookworm'
readonly DEBIAN_MIRROR='http://deb.debian.org/debian'
readonly CACHE_DIR="${REXEC_IMAGE_CACHE:-${HOME:-/root}/.cache/rexec-images}"
readonly DEBIAN_TARBALL="${CACHE_DIR}/debian-bookworm-minbase.tar"

engine=''
force=0
work_dir=''

usage() {
  cat <<'USAGE'
Usage: test/images/build.sh [--engine podman|docker] [--force]
  --engine  the engine to build for (default: podman if it answers, else docker)
  --force   rebuild both images even if the engine has them (the debootstrap cache is kept)
USAGE
}

log() { printf '[build.sh %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

cleanup() {
  if [[ -n "$work_dir" ]]; then rm -rf "$work_dir"; fi
}
trap cleanup EXIT

while [[ $# -gt 0 ]]; do
  case "$1" in
    --engine)
      [[ $# -ge 2 ]] || die '--engine needs a value: podman or docker'
      engine="$2"
      shift 2
      ;;
    --engine=*)
      engine="${1#--engine=}"
      shift
      ;;
    --force)
      force=1
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      die "unknown argument: $1"
      ;;
  esac
done

answers() { command -v "$1" >/dev/null 2>&1 && "$1" info >/dev/null 2>&1; }

if [[ -z "$engine" ]]; then
  for candidate in podman docker; do
    if answers "$candidate"; then
      engine="$candidate"
      break
    fi
  done
  [[ -n "$engine" ]] || die 'neither podman nor docker answers "info"; install podman (see .ci/run)'
fi
case "$engine" in
  podman | docker) ;;
  *) die "--engine must be podman or docker, got '$engine'" ;;
esac
answers "$engine" || die "$engine does not answer \`$engine info\`; is it installed (and its daemon running)?"

has_image() { "$engine" image inspect "$1" >/dev/null 2>&1; }

needs_build() {
  if has_image "$1"; then
    if [[ "$force" -eq 0 ]]; then
      log "$1 already present in $engine, skipping"
      return 1
    fi
    log "removing $1 (--force)"
    "$engine" image rm --force "$1" >/dev/null
  fi
  return 0
}

require_tool() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is not installed; apt-get install $2 (or run .ci/run)"
}

build_busybox() {
  needs_build "$BUSYBOX_IMAGE" || return 0
  require_tool busybox busybox-static
  local busybox
  busybox="$(command -v busybox)"
  # The image has no libc, so only a statically linked busybox works inside it.
  if ldd "$busybox" >/dev/null 2>&1; then
    die "$busybox is dynamically linked; apt-get install busybox-static"
  fi
  log "building $BUSYBOX_IMAGE from $busybox"
  work_dir="$(mktemp -d -t rexec-busybox.XXXXXX)"
  local rootfs="$work_dir/rootfs"
  mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root}
  cp "$busybox" "$rootfs/bin/busybox"
  # Run inside the rootfs so the applet symlinks point at /bin/busybox, not the host's path.
  chroot "$rootfs" /bin/busybox --install -s
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\n' >"$rootfs/etc/group"
  chmod 1777 "$rootfs/tmp"
  chmod 0700 "$rootfs/root"
  tar --numeric-owner -C "$rootfs" -cf "$work_dir/rootfs.tar" .
  "$engine" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/sh"]' \
    "$work_dir/rootfs.tar" "$BUSYBOX_IMAGE" >/dev/null
  rm -rf "$work_dir"
  work_dir=''
  log "built $BUSYBOX_IMAGE"
}

debian_tarball() {
  if [[ -f "$DEBIAN_TARBALL" ]]; then
    log "using cached rootfs $DEBIAN_TARBALL"
    return 0
  fi
  require_tool debootstrap debootstrap
  mkdir -p "$CACHE_DIR"
  work_dir="$(mktemp -d "$CACHE_DIR/debootstrap.XXXXXX")"
  log "debootstrap --variant=minbase bookworm from $DEBIAN_MIRROR (about a minute)"
  debootstrap --variant=minbase bookworm "$work_dir/rootfs" "$DEBIAN_MIRROR" >"$work_dir/log" 2>&1 ||
    die "debootstrap failed; its log:
$(tail -n 40 "$work_dir/log")"
  # Downloaded packages are not part of an image; the engine provides /dev at run time.
  rm -f "$work_dir"/rootfs/var/cache/apt/archives/*.deb
  tar --numeric-owner --exclude='./dev/*' -C "$work_dir/rootfs" -cf "$work_dir/rootfs.tar" .
  # Renamed into place only when complete, so an interrupted run never leaves a bad cache.
  mv "$work_dir/rootfs.tar" "$DEBIAN_TARBALL"
  rm -rf "$work_dir"
  work_dir=''
  log "cached rootfs at $DEBIAN_TARBALL"
}

build_debian() {
  needs_build "$DEBIAN_IMAGE" || return 0
  debian_tarball
  log "importing $DEBIAN_IMAGE"
  "$engine" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    "$DEBIAN_TARBALL" "$DEBIAN_IMAGE" >/dev/null
  log "built $DEBIAN_IMAGE"
}

log "engine: $engine"
build_busybox
build_debian
log 'test images ready'

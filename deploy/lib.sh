# shellcheck shell=bash
# Shared by install-control-plane.sh, install-agent.sh and uninstall.sh (sourced, not run): option
# state (--root, --dry-run), logging, the Node check, and the few file operations they make, each
# idempotent and each a no-op printout under --dry-run. What to install is each script's own.

ROOT=''
DRY_RUN=0
STAGE=''

# A half-copied installation never stays behind when a step fails.
remove_stage() { if [[ -n "$STAGE" ]]; then rm -rf "$STAGE"; fi; }
trap remove_stage EXIT
readonly NODE_MIN_MAJOR=20
readonly NODE_MIN_MINOR=11

say() { printf '%s: %s\n' "${SCRIPT_NAME:-rexec}" "$*"; }
die() {
  printf '%s: error: %s\n' "${SCRIPT_NAME:-rexec}" "$*" >&2
  exit 1
}

# A path on the target system, under --root when one is given.
target() { printf '%s%s' "$ROOT" "$1"; }

# True when system-wide side effects (users, chown, systemctl) must be skipped.
contained() { [[ -n "$ROOT" || "$DRY_RUN" -eq 1 ]]; }

# Runs a command, or prints it under --dry-run.
act() {
  if [[ "$DRY_RUN" -eq 1 ]]; then
    say "would run: $*"
  else
    "$@"
  fi
}

set_root() {
  [[ -n "$1" ]] || die '--root needs a directory'
  mkdir -p "$1" || die "cannot create --root $1"
  ROOT="$(cd "$1" && pwd)"
}

require_root_user() {
  if ! contained && [[ "$EUID" -ne 0 ]]; then
    die 'run as root (or use --root DIR / --dry-run to try it out)'
  fi
}

# Finds node >= 20.11 and prints its absolute path.
find_node() {
  local node version major minor
  node="$(command -v node)" || die "Node.js is not installed; Rexec needs ${NODE_MIN_MAJOR}.${NODE_MIN_MINOR} or newer"
  version="$("$node" -p 'process.versions.node')" || die "$node does not run"
  major="${version%%.*}"
  minor="${version#*.}"
  minor="${minor%%.*}"
  if ((major < NODE_MIN_MAJOR || (major == NODE_MIN_MAJOR && minor < NODE_MIN_MINOR))); then
    die "Node.js $version at $node is too old; Rexec needs ${NODE_MIN_MAJOR}.${NODE_MIN_MINOR} or newer"
  fi
  readlink -f "$node"
}

make_dir() { # path mode
  local path
  path="$(target "$1")"
  if [[ -d "$path" ]]; then
    act chmod "$2" "$path"
  else
    act install -d -m "$2" "$path"
  fi
}

# Copies the env template to path with mode 0600 unless the file exists (operators edit it), then
# sets each KEY=VALUE given, replacing that key's line, so a rerun gives the same file.
write_env_file() { # template path [KEY=VALUE...]
  local template="$1" name="$2" path
  path="$(target "$2")"
  shift 2
  if [[ -f "$path" ]]; then
    say "keeping $name (exists; only the values given on the command line are updated)"
  else
    act install -D -m 0600 "$template" "$path"
  fi
  local pair key value
  for pair in "$@"; do
    key="${pair%%=*}"
    value="${pair#*=}"
    [[ "$value" != *$'\n'* && "$value" != *'|'* ]] || die "$key must be one line without |"
    if [[ "$DRY_RUN" -eq 1 ]]; then
      say "would set $key in $name"
    elif grep -q "^${key}=" "$path"; then
      sed -i "s|^${key}=.*|${key}=${value}|" "$path"
    else
      printf '%s=%s\n' "$key" "$value" >>"$path"
    fi
  done
  act chmod 0600 "$path"
}

# Installs a unit with the node binary and prefix of this installation substituted.
install_unit() { # source-unit node prefix
  local name dest
  name="$(basename "$1")"
  dest="$(target "/etc/systemd/system/$name")"
  if [[ "$DRY_RUN" -eq 1 ]]; then
    say "would install $dest (node $2, prefix $3)"
    return 0
  fi
  install -d -m 0755 "$(dirname "$dest")"
  sed -e "s|/usr/bin/node|$2|g" -e "s|/opt/rexec|$3|g" "$1" >"$dest.tmp"
  chmod 0644 "$dest.tmp"
  mv "$dest.tmp" "$dest"
}

# Copies a workspace package and its production dependencies (as npm resolved them in the source
# checkout, so no registry is needed) to <prefix>/<app>, replacing an earlier copy in one rename.
install_app() { # source-root prefix app workspace...
  local source="$1" prefix="$2" app="$3"
  shift 3
  local dest
  dest="$(target "$prefix/$app")"
  local workspace
  for workspace in "$@"; do
    [[ -f "$source/packages/$workspace/dist/main.js" || -f "$source/packages/$workspace/dist/index.js" ]] ||
      die "$source/packages/$workspace is not built: run 'npm ci && npm run build' in $source first"
  done
  if [[ "$DRY_RUN" -eq 1 ]]; then
    say "would install @rexec/{$(
      IFS=,
      echo "$*"
    )} and their production dependencies to $dest"
    return 0
  fi
  install -d -m 0755 "$(dirname "$dest")"
  STAGE="$(mktemp -d "$(dirname "$dest")/.${app}.XXXXXX")"
  local stage="$STAGE"
  local paths=() path rel copied=()
  for workspace in "$@"; do
    mapfile -t paths < <(cd "$source" && npm ls --omit=dev --all --parseable --workspace "@rexec/$workspace" 2>/dev/null)
    [[ ${#paths[@]} -gt 0 ]] || die "npm ls found no packages for @rexec/$workspace in $source"
    for path in "${paths[@]}"; do
      rel="${path#"$source"/}"
      [[ "$path" != "$source" && "$rel" != node_modules/@rexec/* ]] || continue
      # Skip what a copied ancestor already brought along.
      local ancestor seen=0
      for ancestor in "${copied[@]}"; do [[ "$rel" == "$ancestor"/* || "$rel" == "$ancestor" ]] && seen=1; done
      ((seen == 0)) || continue
      mkdir -p "$stage/$(dirname "$rel")"
      cp -a "$source/$rel" "$stage/$rel"
      copied+=("$rel")
    done
  done
  for workspace in "$@"; do
    local package="$source/packages/$workspace" part
    install -d -m 0755 "$stage/packages/$workspace"
    for part in package.json dist drizzle; do
      if [[ -e "$package/$part" ]]; then cp -a "$package/$part" "$stage/packages/$workspace/"; fi
    done
    install -d -m 0755 "$stage/node_modules/@rexec"
    ln -sfn "../../packages/$workspace" "$stage/node_modules/@rexec/$workspace"
  done
  install -D -m 0644 "$source/deploy/README.md" "$stage/README.md"
  chmod 0755 "$stage"
  if [[ -d "$dest" ]]; then
    mv "$dest" "$dest.old.$$"
    mv "$stage" "$dest"
    rm -rf "$dest.old.$$"
  else
    mv "$stage" "$dest"
  fi
  STAGE=''
}

systemd_enable_now() { # unit
  if contained; then
    say "skipping systemctl enable --now $1 (--root or --dry-run)"
    return 0
  fi
  command -v systemctl >/dev/null 2>&1 || die 'systemctl not found: start the service by hand'
  systemctl daemon-reload
  if systemctl is-active --quiet "$1"; then
    say "restarting $1 to run the installed version"
    systemctl enable "$1"
    systemctl restart "$1"
  else
    systemctl enable --now "$1"
  fi
}

#!/usr/bin/env bash
# Installs the Rexec agent on a host as a systemd service: checks Node.js and that podman or docker
# can run containers, copies the built agent with its production dependencies to <prefix>/agent,
# writes /etc/rexec/agent.env (0600: it holds the join token) with --url and --join-token, creates
# /var/lib/rexec-agent and runs `systemctl enable --now`. Idempotent. --root/--dry-run touch no system.
set -euo pipefail

SCRIPT_NAME="$(basename "$0")"
DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly DEPLOY_DIR
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$DEPLOY_DIR/lib.sh"

readonly STATE_DIR='/var/lib/rexec-agent'
readonly ENV_FILE='/etc/rexec/agent.env'

usage() {
  cat <<'USAGE'
Usage: deploy/install-agent.sh --url URL --join-token TOKEN [options]
  --url URL[,URL…]    the control plane's base URL, http(s)://…, or its replicas' URLs
                      separated by commas, dialled in turn (required)
  --join-token TOKEN  from an admin: POST /api/v1/hosts/join-tokens (required until the host has
                      joined; a reinstall of a joined host may leave it out)
  --host-name NAME    the host's name in the fleet (default: the machine's hostname)
  --runtime ENGINE    podman, docker or auto (default auto: podman, then docker)
  --prefix DIR        where the code goes (default /opt/rexec; the service runs DIR/agent)
  --source DIR        the built checkout to install from (default: this script's repository)
  --root DIR          install into DIR as if it were /; no systemctl
  --dry-run           print what would be done and change nothing
  --print-packages ENGINE
                      print the Debian packages the agent needs beside ENGINE (podman or docker)
Run `npm ci && npm run build` in the checkout first. Missing packages are installed with apt-get.
USAGE
}

# What the agent runs beside its engine, by Debian package, never left to a "Recommends" (catatonit
# is one). The list mirrors packages/agent/src/doctor/host-requirements.ts; a test keeps them equal.
packages_for() {
  case "$1" in
    podman) echo podman runc catatonit iptables iproute2 util-linux coreutils ;;
    docker) echo runc docker.io tini iptables iproute2 util-linux coreutils ;;
    *) die "no package list for engine $1 (podman or docker)" ;;
  esac
}

prefix='/opt/rexec'
source_dir="$(cd "$DEPLOY_DIR/.." && pwd)"
url=''
join_token=''
runtime='auto'
settings=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --url) url="${2:?--url needs a value}"; shift 2 ;;
    --join-token) join_token="${2:?--join-token needs a value}"; shift 2 ;;
    --host-name) settings+=("REXEC_HOST_NAME=${2:?--host-name needs a value}"); shift 2 ;;
    --runtime) runtime="${2:?--runtime needs a value}"; shift 2 ;;
    --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
    --source) source_dir="${2:?--source needs a directory}"; shift 2 ;;
    --root) set_root "${2:-}"; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    --print-packages) packages_for "${2:?--print-packages needs podman or docker}"; exit 0 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
[[ "$url" =~ ^https?://[^[:space:]]+$ ]] || die '--url must be an http:// or https:// URL'
[[ "$prefix" == /* ]] || die "--prefix must be absolute, got $prefix"
[[ "$join_token" =~ ^[^[:space:]]*$ ]] || die '--join-token must not contain whitespace'
if [[ -z "$join_token" && ! -f "$(target "$STATE_DIR/agent-state.json")" ]]; then
  die "--join-token is required: this host has not joined yet ($STATE_DIR/agent-state.json is missing)"
fi

# The same order as the agent's REXEC_RUNTIME=auto; `info` answering means the engine can run.
check_engine() {
  local candidates=(podman docker) kind
  case "$runtime" in
    auto) ;;
    podman | docker) candidates=("$runtime") ;;
    *) die "--runtime must be podman, docker or auto, got $runtime" ;;
  esac
  for kind in "${candidates[@]}"; do
    if command -v "$kind" >/dev/null 2>&1 && "$kind" info >/dev/null 2>&1; then
      say "engine: $kind ($("$kind" --version))"
      ENGINE="$kind"
      return 0
    fi
  done
  die "no container engine answers (${candidates[*]}): install podman (apt-get install podman runc) or docker and start it"
}

require_root_user
node="$(find_node)"
say "node: $node ($("$node" --version))"
# Installs what the engine's host lacks with apt-get; elsewhere names it and stops.
ensure_packages() {
  local wanted missing=() package
  read -r -a wanted <<<"$(packages_for "$1")"
  if ! command -v dpkg-query >/dev/null 2>&1; then
    say "not a Debian system: make sure the equivalents of these are installed: ${wanted[*]}"
    return 0
  fi
  for package in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$package")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    say "packages: all present (${wanted[*]})"
    return 0
  fi
  if [[ -n "$ROOT" ]]; then
    say "the host needs these packages (not installed under --root): ${missing[*]}"
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing packages: ${missing[*]}; install them first"
  say "installing: ${missing[*]}"
  act apt-get update -qq
  act env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

# podman's --userns=auto gives each container its own id range from the subordinate ids of the
# user `containers`; without a range the agent runs containers without a user namespace. A file
# that already names `containers` is left as the operator made it.
readonly SUBORDINATE_RANGE='containers:2147483647:2147483648'
ensure_subordinate_ids() {
  [[ "$1" == podman ]] || return 0
  local file path
  for file in /etc/subuid /etc/subgid; do
    path="$(target "$file")"
    if [[ -f "$path" ]] && grep -q '^containers:' "$path"; then continue; fi
    say "adding $SUBORDINATE_RANGE to $file (user namespaces for podman containers)"
    if [[ "$DRY_RUN" -eq 1 ]]; then continue; fi
    mkdir -p "$(dirname "$path")"
    printf '%s\n' "$SUBORDINATE_RANGE" >>"$path"
  done
}

ENGINE=''
check_engine
ensure_packages "$ENGINE"
ensure_subordinate_ids "$ENGINE"

install_app "$source_dir" "$prefix" agent protocol agent
make_dir /etc/rexec 0755
write_env_file "$DEPLOY_DIR/env/agent.env" "$ENV_FILE" \
  "REXEC_URL=$url" "REXEC_RUNTIME=$runtime" ${join_token:+"REXEC_JOIN_TOKEN=$join_token"} "${settings[@]}"
make_dir "$STATE_DIR" 0700
install_unit "$DEPLOY_DIR/rexec-agent.service" "$node" "$prefix"
systemd_enable_now rexec-agent.service

say 'installed. The agent joins on its first start; follow it with: journalctl -u rexec-agent -f'

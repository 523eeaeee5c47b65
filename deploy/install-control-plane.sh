#!/usr/bin/env bash
# Installs the Rexec control plane as a systemd service from a built checkout: checks Node.js,
# creates the `rexec` system user and /var/lib/rexec, copies the built packages with their
# production dependencies to <prefix>/control-plane, writes /etc/rexec/control-plane.env (0600,
# kept if present) and runs `systemctl enable --now`. Idempotent. --root/--dry-run touch no system.
set -euo pipefail

SCRIPT_NAME="$(basename "$0")"
DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly DEPLOY_DIR
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$DEPLOY_DIR/lib.sh"

readonly SERVICE_USER='rexec'
readonly STATE_DIR='/var/lib/rexec'
readonly ENV_FILE='/etc/rexec/control-plane.env'

usage() {
  cat <<'USAGE'
Usage: deploy/install-control-plane.sh [options]
  --database-url URL  postgres://… for a fleet (default: the embedded database in /var/lib/rexec)
  --bind ADDRESS      address to listen on (default 127.0.0.1: put a TLS proxy in front)
  --port PORT         port to listen on (default 8080)
  --prefix DIR        where the code goes (default /opt/rexec; the service runs DIR/control-plane)
  --source DIR        the built checkout to install from (default: this script's repository)
  --root DIR          install into DIR as if it were /; no user, chown or systemctl
  --dry-run           print what would be done and change nothing
Run `npm ci && npm run build` in the checkout first. Values given are written to the env file;
other settings are edited there (see deploy/env/control-plane.env).
USAGE
}

prefix='/opt/rexec'
source_dir="$(cd "$DEPLOY_DIR/.." && pwd)"
settings=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --database-url) settings+=("REXEC_DATABASE_URL=${2:?--database-url needs a value}"); shift 2 ;;
    --bind) settings+=("REXEC_BIND=${2:?--bind needs a value}"); shift 2 ;;
    --port)
      [[ "${2:-}" =~ ^[0-9]{1,5}$ ]] || die '--port needs a number from 0 to 65535'
      settings+=("REXEC_PORT=$2")
      shift 2
      ;;
    --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
    --source) source_dir="${2:?--source needs a directory}"; shift 2 ;;
    --root) set_root "${2:-}"; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
[[ "$prefix" == /* ]] || die "--prefix must be absolute, got $prefix"

require_root_user
node="$(find_node)"
say "node: $node ($("$node" --version))"

if contained; then
  say "skipping the $SERVICE_USER system user (--root or --dry-run)"
elif id -u "$SERVICE_USER" >/dev/null 2>&1; then
  say "user $SERVICE_USER exists"
else
  useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home \
    --shell /usr/sbin/nologin --comment 'Rexec control plane' "$SERVICE_USER"
  say "created system user $SERVICE_USER"
fi

install_app "$source_dir" "$prefix" control-plane protocol control-plane
make_dir /etc/rexec 0755
write_env_file "$DEPLOY_DIR/env/control-plane.env" "$ENV_FILE" "${settings[@]}"
make_dir "$STATE_DIR" 0700
if ! contained; then chown "$SERVICE_USER:$SERVICE_USER" "$STATE_DIR"; fi
install_unit "$DEPLOY_DIR/rexec-control-plane.service" "$node" "$prefix"
systemd_enable_now rexec-control-plane.service

say "installed. The first start writes the admin token to $STATE_DIR/admin-token;"
say "follow the log with: journalctl -u rexec-control-plane -f"

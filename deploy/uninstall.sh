#!/usr/bin/env bash
# Removes what install-control-plane.sh and install-agent.sh installed: stops and disables the
# units, deletes them and the code under <prefix>. Keeps the env files, the database and the host
# credential unless --purge is given (then also the `rexec` user, and everything the agent made:
# `rexec-agent purge --yes` removes every Rexec container with its users' files, home volume and
# network). Without --purge containers are never touched: remove them through the API first.
# Removing the agent also removes its iptables host guard (chains REXEC-IN-*/REXEC-FWD-* and their
# jumps). Idempotent. --root/--dry-run touch no system.
set -euo pipefail

SCRIPT_NAME="$(basename "$0")"
DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly DEPLOY_DIR
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$DEPLOY_DIR/lib.sh"

usage() {
  cat <<'USAGE'
Usage: deploy/uninstall.sh [--control-plane] [--agent] [options]
  --control-plane  remove the control plane   (neither flag: remove both)
  --agent          remove the agent
  --purge          also delete the env files, /var/lib/rexec (database, admin token),
                   /var/lib/rexec-agent (host credential) and the rexec user, and with the
                   agent every Rexec container (users' files too), volume and network
  --prefix DIR     where the code was installed (default /opt/rexec)
  --root DIR       act on DIR as if it were /; no systemctl or userdel
  --dry-run        print what would be done and change nothing
USAGE
}

prefix='/opt/rexec'
purge=0
parts=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --control-plane) parts+=(control-plane); shift ;;
    --agent) parts+=(agent); shift ;;
    --purge) purge=1; shift ;;
    --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
    --root) set_root "${2:-}"; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
[[ "$prefix" == /* ]] || die "--prefix must be absolute, got $prefix"
if [[ ${#parts[@]} -eq 0 ]]; then parts=(control-plane agent); fi
require_root_user

remove() { # path on the target system
  local path
  path="$(target "$1")"
  if [[ -e "$path" || -L "$path" ]]; then
    act rm -rf -- "$path"
    say "removed $1"
  fi
}

stop_unit() {
  local unit="$1"
  if contained; then
    say "skipping systemctl disable --now $unit (--root or --dry-run)"
  elif command -v systemctl >/dev/null 2>&1 && systemctl cat "$unit" >/dev/null 2>&1; then
    systemctl disable --now "$unit"
  fi
}

# The agent's guard keeping containers off the host's ports: jumps first, then the chains.
remove_host_guard() {
  if contained; then
    say 'skipping removal of the iptables chains REXEC-IN-*/REXEC-FWD-* (--root or --dry-run)'
    return
  fi
  command -v iptables >/dev/null 2>&1 || return 0
  local chain rule
  for chain in INPUT FORWARD DOCKER-USER; do
    iptables -S "$chain" 2>/dev/null | grep -E -- '-j REXEC-(IN|FWD)-' | while read -r rule; do
      # shellcheck disable=SC2086 # the rule is iptables' own words, split as it printed them
      iptables ${rule/#-A/-D}
    done
  done
  iptables -S | sed -nE 's/^-N (REXEC-(IN|FWD)-[0-9a-f]+)$/\1/p' | while read -r chain; do
    iptables -F "$chain" && iptables -X "$chain"
    say "removed iptables chain $chain"
  done
}

# What the agent made on this machine (rexec-agent purge), run as its unit runs it, once stopped.
purge_agent_resources() {
  local unit exec_start
  unit="$(target /etc/systemd/system/rexec-agent.service)"
  if contained; then
    say 'skipping rexec-agent purge --yes (--root or --dry-run)'
    return
  fi
  if [[ ! -f "$unit" ]]; then
    say "no $unit: not running rexec-agent purge"
    return
  fi
  exec_start="$(sed -n 's/^ExecStart=//p' "$unit")"
  # shellcheck disable=SC2086 # node and the agent's script, as the unit names them
  $exec_start purge --yes
}

declare -A STATE_DIRS=([control-plane]=/var/lib/rexec [agent]=/var/lib/rexec-agent)
for part in "${parts[@]}"; do
  unit="rexec-$part.service"
  stop_unit "$unit"
  if [[ "$purge" -eq 1 && "$part" == agent ]]; then purge_agent_resources; fi
  remove "/etc/systemd/system/$unit"
  remove "$prefix/$part"
  if [[ "$purge" -eq 1 ]]; then
    remove "/etc/rexec/$part.env"
    remove "${STATE_DIRS[$part]}"
  fi
done
if [[ " ${parts[*]} " == *' agent '* ]]; then remove_host_guard; fi
if ! contained && command -v systemctl >/dev/null 2>&1; then systemctl daemon-reload; fi

# The shared directories go only when nothing of either part is left in them.
for dir in "$prefix" /etc/rexec; do
  path="$(target "$dir")"
  if [[ -d "$path" ]] && [[ -z "$(ls -A "$path")" ]]; then act rmdir "$path"; fi
done
if [[ "$purge" -eq 1 && " ${parts[*]} " == *' control-plane '* ]]; then
  if contained; then
    say 'skipping userdel rexec (--root or --dry-run)'
  elif id -u rexec >/dev/null 2>&1; then
    userdel rexec
    say 'removed the rexec user'
  fi
fi
if [[ "$purge" -eq 1 && " ${parts[*]} " == *' agent '* ]]; then
  say 'done.'
else
  say 'done. Containers created by agents are left as they are.'
fi

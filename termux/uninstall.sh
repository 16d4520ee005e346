#!/data/data/com.termux/files/usr/bin/sh
# Undoes what termux/install.sh put outside the project: stops and removes the pocket-scalper
# service, and removes the boot script and the widget shortcuts. Keeps the project, its state
# directory (positions, journal, secrets) and the Termux packages.
#   sh termux/uninstall.sh
# Open positions keep the stop losses the bot placed on the exchange with each entry.
set -eu

[ -n "${PREFIX:-}" ] || {
  echo 'uninstall.sh: PREFIX is not set: run this inside Termux' >&2
  exit 1
}
[ -n "${HOME:-}" ] || {
  echo 'uninstall.sh: HOME is not set' >&2
  exit 1
}
SVDIR="$PREFIX/var/service"
export SVDIR
svc="$SVDIR/pocket-scalper"

if [ -d "$svc" ]; then
  # Stop first (SIGTERM: the bot shuts down gracefully), then remove: runsvdir drops the supervisor.
  if command -v sv-disable >/dev/null 2>&1; then
    sv-disable pocket-scalper >/dev/null 2>&1 || true
    sv -w 60 down pocket-scalper >/dev/null 2>&1 || true
  fi
  rm -rf "$svc"
  echo "removed $svc"
fi
for f in "$HOME/.termux/boot/pocket-scalper" \
  "$HOME/.shortcuts/tasks/pocket-start" "$HOME/.shortcuts/tasks/pocket-stop" \
  "$HOME/.shortcuts/tasks/pocket-status" "$HOME/.shortcuts/tasks/pocket-pause" \
  "$HOME/.shortcuts/tasks/pocket-resume" "$HOME/.shortcuts/tasks/pocket-close-all"; do
  if [ -e "$f" ]; then
    rm -f "$f"
    echo "removed $f"
  fi
done
if command -v termux-wake-unlock >/dev/null 2>&1; then termux-wake-unlock || true; fi
echo 'Done. The project and its state directory are untouched.'

#!/data/data/com.termux/files/usr/bin/sh
# pocket-scalper installer for Termux (issue 10). From the project directory:
#   sh termux/install.sh           asks before the service, the boot script and the widgets
#   sh termux/install.sh --yes     installs them without asking
#   sh termux/install.sh --no      skips them (packages, dependencies, build, state dir only)
# Run it again at any time (after `git pull`, say): it only redoes what is out of date, and a
# second run in a row changes nothing.
#
# In order:
#  1. pkg install whatever is missing of nodejs-lts (skipped when a `node` is already installed:
#     nodejs and nodejs-lts conflict), npm (a separate package since nodejs-lts 24.13), termux-api,
#     termux-services.
#  2. npm ci, unless node_modules already matches package-lock.json. On android-arm64 npm skips the
#     optional native packages that have no Android build (TypeScript 7's native compiler, for
#     one) and carries on when an optional native add-on (ws's bufferutil) fails to compile: the
#     bot needs none of them, and the build needs only esbuild, which has an Android build.
#  3. npm run build, unless dist/bot.js is newer than the sources.
#  4. The state directory, mode 0700; never under $PREFIX/tmp (Termux erases it on every restart)
#     nor on shared storage (no private file modes there).
#  5. With the owner's consent: the termux-services service, the Termux:Boot script and the
#     Termux:Widget shortcuts. They are written from the templates next to this file with the real
#     paths substituted, because plugin-launched scripts get no shebang rewriting and no profile
#     (reference/termux.md): absolute shebang, absolute paths, PATH set explicitly.
#  6. node dist/bot.js doctor.
set -eu

SERVICE=pocket-scalper

usage() {
  cat <<'EOF'
Usage: sh termux/install.sh [--yes | --no] [--config PATH] [--state-dir DIR]

Installs pocket-scalper in Termux: packages, npm dependencies, the
build, the state directory, and (when you agree) the background
service, the boot script and the home-screen widget shortcuts.
Ends by running `node dist/bot.js doctor`.

  -y, --yes        install the service, boot script and widgets
                   without asking
  -n, --no         do not install them (and do not ask)
  --config PATH    config file the service uses (default: config.json
                   in the project directory)
  --state-dir DIR  state directory (default: "stateDir" of the config,
                   else state/ next to it)
  -h, --help       this text
EOF
}

say() { printf '%s\n' "$*"; }
step() { printf '\n== %s\n' "$*"; }
die() {
  printf 'install.sh: %s\n' "$*" >&2
  exit 1
}

answer_mode=ask
config_opt=''
state_dir_opt=''
while [ $# -gt 0 ]; do
  case $1 in
    -y | --yes) answer_mode=yes ;;
    -n | --no) answer_mode=no ;;
    --config | --state-dir)
      [ $# -ge 2 ] || {
        usage >&2
        exit 2
      }
      if [ "$1" = --config ]; then config_opt=$2; else state_dir_opt=$2; fi
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      printf 'install.sh: unknown option %s\n\n' "$1" >&2
      usage >&2
      exit 2
      ;;
  esac
  shift
done

# --- where things are -------------------------------------------------------------------------
[ -n "${PREFIX:-}" ] || die 'PREFIX is not set: run this inside Termux (it sets PREFIX=/data/data/com.termux/files/usr)'
[ -n "${HOME:-}" ] || die 'HOME is not set'
TMPDIR=${TMPDIR:-$PREFIX/tmp}
export PREFIX HOME TMPDIR

script_dir=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd -P)
POCKET_DIR=$(dirname -- "$script_dir")
if [ ! -f "$POCKET_DIR/package.json" ] || [ ! -d "$POCKET_DIR/termux/service" ]; then
  die "cannot find the project around $script_dir (expected termux/install.sh inside a pocket-scalper checkout)"
fi

# Relative paths given on the command line are relative to where the user ran the installer.
start_dir=$PWD
absolute() {
  case $1 in
    /*) printf '%s' "$1" ;;
    *) printf '%s/%s' "$start_dir" "$1" ;;
  esac
}

# Refuses places that do not last or cannot keep files private. $1 path, $2 what it is.
check_place() {
  case "$1/" in
    "$PREFIX"/tmp/* | "$TMPDIR"/*)
      die "$2 $1 is in a temporary directory, which Termux erases on every restart; use a directory under $HOME" ;;
    /sdcard/* | /storage/* | "$HOME"/storage/*)
      die "$2 $1 is on shared storage, which cannot keep files private (chmod 600) or run scripts; use a directory under $HOME" ;;
  esac
}

# The paths go into single-quoted shell words in the installed scripts.
check_value() {
  case $1 in
    *"'"* | *'
'*) die "$2 \"$1\" contains a quote or a line break; move it to a plainer path" ;;
  esac
}
for v in "$PREFIX" "$HOME"; do
  case $v in
    *[[:space:]]* | *"'"* | *'"'*) die "\"$v\" contains spaces or quotes; Termux paths never do" ;;
  esac
done

check_place "$POCKET_DIR" 'the project directory'
CONFIG=$(absolute "${config_opt:-$POCKET_DIR/config.json}")

# --- 1. packages ------------------------------------------------------------------------------
step 'Packages'
set --
command -v node >/dev/null 2>&1 || set -- "$@" nodejs-lts
command -v npm >/dev/null 2>&1 || set -- "$@" npm
command -v termux-notification >/dev/null 2>&1 || set -- "$@" termux-api
command -v sv-enable >/dev/null 2>&1 || set -- "$@" termux-services
new_services=no
if [ $# -gt 0 ]; then
  command -v pkg >/dev/null 2>&1 || die "missing: $*; this installer needs Termux's pkg"
  case " $* " in *' termux-services '*) new_services=yes ;; esac
  say "installing: $*"
  pkg install -y "$@" || die "pkg install $* failed; run \`pkg update\` and try again"
else
  say 'node, npm, termux-api and termux-services are installed'
fi
NODE=$(command -v node) || die 'node is still missing after pkg install nodejs-lts'
"$NODE" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
  die "$("$NODE" --version) is too old (the bot needs Node.js 20.19 or newer): pkg upgrade && pkg install nodejs-lts"
say "node: $NODE ($("$NODE" --version))"

# --- 2. dependencies --------------------------------------------------------------------------
cd "$POCKET_DIR"
step 'Dependencies'
lock_stamp=node_modules/.pocket-scalper-installed-lock.json
if [ -f "$lock_stamp" ] && cmp -s package-lock.json "$lock_stamp"; then
  say 'node_modules matches package-lock.json'
else
  say 'npm ci (a few minutes on a phone; optional native packages without an Android build are skipped)'
  npm ci --no-audit --no-fund || die 'npm ci failed (see above); check the connection and free storage, then run this again'
  cp package-lock.json "$lock_stamp"
fi

# --- 3. build ---------------------------------------------------------------------------------
step 'Build'
rebuilt=no
if [ ! -f dist/bot.js ] || [ -n "$(find package.json package-lock.json "$lock_stamp" src scripts -newer dist/bot.js 2>/dev/null | head -n 1)" ]; then
  say 'npm run build (esbuild: dist/bot.js)'
  npm run build || die 'npm run build failed (see above)'
  rebuilt=yes
else
  say 'dist/bot.js is up to date'
fi

# --- 4. state directory -----------------------------------------------------------------------
step 'State directory'
if [ -n "$state_dir_opt" ]; then
  STATE_DIR=$(absolute "$state_dir_opt")
else
  # config.json's "stateDir", resolved against the config's directory as the bot does (src/config/load.ts).
  STATE_DIR=$("$NODE" -e '
const fs = require("fs"), path = require("path");
const file = process.argv[1];
let dir = "state";
try {
  let text = fs.readFileSync(file, "utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const c = JSON.parse(text);
  if (typeof c.stateDir === "string" && c.stateDir !== "") dir = c.stateDir;
} catch {}
process.stdout.write(path.resolve(path.dirname(file), dir));
' "$CONFIG")
fi
check_place "$STATE_DIR" 'the state directory'
for v in "$POCKET_DIR" "$CONFIG" "$STATE_DIR" "$NODE"; do check_value "$v" 'the path'; done
mkdir -p "$STATE_DIR"
chmod 700 "$STATE_DIR"
say "$STATE_DIR (mode 0700)"

# --- 5. service, boot script, widgets ---------------------------------------------------------
# Each file is rendered to a temporary name beside its destination and moved into place only when
# it differs, so a re-run leaves identical files untouched and a reader never sees half a file.
sed_escape() { printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'; }
prefix_sed=$(sed_escape "$PREFIX")
home_sed=$(sed_escape "$HOME")
dir_sed=$(sed_escape "$POCKET_DIR")
node_sed=$(sed_escape "$NODE")
config_sed=$(sed_escape "$CONFIG")
state_sed=$(sed_escape "$STATE_DIR")

render() {
  sed -e "s|/data/data/com\\.termux/files/usr|$prefix_sed|g" \
    -e "s|/data/data/com\\.termux/files/home|$home_sed|g" \
    -e "s|@POCKET_DIR@|$dir_sed|g" \
    -e "s|@NODE@|$node_sed|g" \
    -e "s|@CONFIG@|$config_sed|g" \
    -e "s|@STATE_DIR@|$state_sed|g" \
    "$1"
}

install_file() { # TEMPLATE DESTINATION
  tmp="$2.new.$$"
  render "$1" >"$tmp"
  chmod 700 "$tmp"
  if [ -f "$2" ] && cmp -s "$tmp" "$2"; then
    rm -f "$tmp"
    chmod 700 "$2"
    say "  up to date: $2"
  else
    mv -f "$tmp" "$2"
    say "  written:    $2"
  fi
}

ensure_dir() { # DIRECTORY (mode 0700)
  mkdir -p "$1"
  chmod 700 "$1"
}

ask() {
  case $answer_mode in
    yes)
      say "$1 yes (--yes)"
      return 0
      ;;
    no)
      say "$1 no (--no)"
      return 1
      ;;
  esac
  printf '%s [Y/n] ' "$1"
  if ! read -r reply; then
    say '(no answer: no)'
    return 1
  fi
  # A terminal echoes the answer and its newline; piped answers need the newline written.
  [ -t 0 ] || say "$reply"
  case $reply in
    '' | [Yy] | [Yy][Ee][Ss]) return 0 ;;
    *) return 1 ;;
  esac
}

T="$POCKET_DIR/termux"
SVDIR="$PREFIX/var/service"
svc="$SVDIR/$SERVICE"

step 'Background service (termux-services)'
if ask "Install the service (restarts the bot after a crash, logs to $PREFIX/var/log/sv/$SERVICE)?"; then
  mkdir -p "$SVDIR"
  if [ ! -e "$svc" ]; then
    # A new service starts disabled (the down file): installing must not start trading. It is
    # built aside and moved in whole, because runsvdir picks up a new directory within seconds.
    stage="$SVDIR/.$SERVICE.new.$$"
    mkdir -p "$stage/log"
    chmod 700 "$stage" "$stage/log"
    : >"$stage/down"
    install_file "$T/service/run" "$stage/run" >/dev/null
    install_file "$T/service/finish" "$stage/finish" >/dev/null
    install_file "$T/service/log/run" "$stage/log/run" >/dev/null
    mv "$stage" "$svc"
    say "  written:    $svc (disabled until pocket-start or: sv-enable $SERVICE)"
  else
    ensure_dir "$svc"
    ensure_dir "$svc/log"
    install_file "$T/service/run" "$svc/run"
    install_file "$T/service/finish" "$svc/finish"
    install_file "$T/service/log/run" "$svc/log/run"
    if [ "$rebuilt" = yes ]; then say "  a running bot keeps the previous build until: sv restart $SERVICE"; fi
  fi
  if [ "$new_services" = yes ]; then
    say '  termux-services was just installed: restart Termux (exit, reopen) so its daemon runs'
  fi
fi

step 'Start at boot (Termux:Boot)'
if [ -e "$svc/run" ]; then
  if ask 'Start the bot when the phone boots (takes the wake lock, starts the service if enabled)?'; then
    ensure_dir "$HOME/.termux/boot"
    install_file "$T/boot/pocket-scalper" "$HOME/.termux/boot/pocket-scalper"
    say '  needs the Termux:Boot app (from the same store as Termux), opened once'
  fi
else
  say 'skipped: the boot script starts the service, which is not installed'
fi

step 'Home-screen widgets (Termux:Widget)'
if ask 'Install the widget shortcuts (start, stop, status, pause, resume, close-all)?'; then
  ensure_dir "$HOME/.shortcuts"
  ensure_dir "$HOME/.shortcuts/tasks"
  for f in "$T"/shortcuts/pocket-*; do
    name=${f##*/}
    case $name in
      pocket-start | pocket-stop)
        if [ ! -e "$svc/run" ]; then
          say "  skipped:    $name (needs the service)"
          continue
        fi
        ;;
    esac
    install_file "$f" "$HOME/.shortcuts/tasks/$name"
  done
  say '  needs the Termux:Widget app; add its widget to the home screen'
fi

# --- 6. doctor --------------------------------------------------------------------------------
step 'Checking the setup: node dist/bot.js doctor'
if "$NODE" "$POCKET_DIR/dist/bot.js" doctor --config "$CONFIG" --state-dir "$STATE_DIR"; then
  say ''
  say 'Installed. Start the bot with the pocket-start widget, or: sv-enable pocket-scalper'
else
  say ''
  say 'Installed, but doctor found something to fix (above). Then check again with:'
  say "  cd $POCKET_DIR && node dist/bot.js doctor"
  say 'No API key yet? Run: node dist/bot.js init'
fi

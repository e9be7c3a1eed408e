#!/usr/bin/env bash
# Runs every `denoise …` command of docs/LESSON.md, so the lesson cannot ask a class for a command,
# a flag or a control value that no longer exists.
#
#   DENOISE_BIN=/path/to/denoise ./Tests/lesson.sh
#
# A command is a line in a fenced code block that starts with `denoise ` (a trailing `\` joins the
# next line). Each runs against the bundled model, Models/e2e, with two changes that keep the whole
# lesson to seconds on a debug build: --count and --per-target are capped at 1, and --steps is 2
# (so a `--pin STEP:POSITION=WORD` holds from step 1, the last step a 2-step chain has).
# `denoise play` needs a terminal, so a play command must be refused for the missing terminal (and
# for nothing else) and its chain options must work in `denoise sample`. Commands without --data
# or --labels read the corpus the repository ships, Data/e2e, found beside the binary.
#
# The one skip rule: a command that uses `denoise forward`, `sample --from-text` or
# `play --forward` is skipped while the binary's own help does not list that subcommand or flag.
# Once it does, the command runs like every other.
#
# A `--model Models/NAME` or `--compare Models/NAME` is the repository's folder of that name. When
# it is not there (the masked and uniform models are bundled only once trained), the script
# stands in an untrained model of the kind the name ends with (`-masked`, `-uniform`; continuous
# otherwise), made by `denoise init` on Data/e2e/devset.csv: the commands' options and output are
# checked, not the quality of their sentences. `--compare DIR` is a play option, so the play
# check's `sample` leaves it out.
#
# Prints `ok - …` / `not ok - …` per command and `N passed, M failed`; exits 1 when anything failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
LESSON=${LESSON:-$root/docs/LESSON.md}
BIN=${DENOISE_BIN:-$root/.build/debug/denoise}
if [ -x "$BIN" ]; then BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN"); fi
if [ ! -x "$BIN" ]; then
  echo "lesson: no denoise binary at $BIN (build first, or set DENOISE_BIN)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
MODEL=$root/Models/e2e
# `$E2E` in a lesson command is the corpus folder the repository ships.
E2E=$root/Data/e2e

TMP=$(mktemp -d "${TMPDIR:-/tmp}/denoise-lesson.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"   # traces the lesson writes land here

passed=0 failed=0 skipped=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() {
  echo "not ok - $1"
  if [ -n "${2:-}" ]; then printf '%s\n' "$2" | head -n 10 | sed 's/^/#   /'; fi
  failed=$((failed + 1))
}

# Which of the features that the lesson names ahead of their arrival this binary has.
has_forward=0 has_from_text=0 has_play_forward=0
# (Help texts are read whole first: with pipefail, `grep -q` quitting at its first match can end
# the writer with SIGPIPE and fail the pipeline.)
top_help=$("$BIN" --help 2>/dev/null || true)
sample_help=$("$BIN" sample --help 2>/dev/null || true)
play_help=$("$BIN" play --help 2>/dev/null || true)
grep -Eq '^[[:space:]]+forward([[:space:]]|$)' <<< "$top_help" && has_forward=1
grep -q -- '--from-text' <<< "$sample_help" && has_from_text=1
grep -q -- '--forward' <<< "$play_help" && has_play_forward=1

# The folder a lesson's Models/NAME stands for: the repository's, or an untrained stand-in.
model_folder() {
  local name=${1#Models/}
  if [ -f "$root/Models/$name/config.json" ]; then echo "$root/Models/$name"; return; fi
  local stand_in=$TMP/Models/$name kind=continuous
  case $name in *-masked) kind=masked ;; *-uniform) kind=uniform ;; esac
  if [ ! -f "$stand_in/config.json" ]; then
    "$BIN" init --kind "$kind" --out "$stand_in" --data "$root/Data/e2e/devset.csv" \
      --hidden 32 --layers 1 --heads 2 --ffn 64 > /dev/null 2>&1 || return 1
  fi
  echo "$stand_in"
}

# Rewrites the Models/NAME values of --model and --compare in `args` to folders that exist.
resolve_models() {
  local i
  for ((i = 0; i < ${#args[@]}; i++)); do
    case ${args[i]} in
      --model | --compare)
        if [[ ${args[i + 1]:-} == Models/* ]]; then args[i + 1]=$(model_folder "${args[i + 1]}") || return 1; fi ;;
    esac
  done
}

# The commands, one per line, continuation lines joined.
commands=$(awk '
  /^```/ { inside = !inside; next }
  inside {
    line = $0
    if (pending != "") { line = pending " " line; pending = "" }
    if (line ~ /\\$/) { sub(/\\$/, "", line); pending = line; next }
    if (line ~ /^denoise /) print line
  }' "$LESSON")
count=$(printf '%s\n' "$commands" | grep -c '^denoise ' || true)
plays=$(printf '%s\n' "$commands" | grep -c '^denoise play' || true)
if [ "$count" -ge 15 ] && [ "$plays" -ge 3 ]; then ok "the lesson has $count commands, $plays of them play"
else not_ok "the lesson has at least 15 commands and 3 play commands (found $count and $plays)"; fi

# Sets `args` to a command's words after the shell's quoting. The lesson's
# commands are plain: no pipes, redirections, substitutions or command separators.
split_command() {
  case $1 in
    *'|'* | *'>'* | *'<'* | *';'* | *'&'* | *'`'* | *'$('*) return 1 ;;
  esac
  eval "args=($1)"
}

# The command's words with --count and --per-target capped at 1, --steps at 2 and pins at step 1.
shrink() {
  local sub=$1; shift
  shrunk=("$sub")
  local has_steps=0
  while [ $# -gt 0 ]; do
    case $1 in
      --count | --per-target) shrunk+=("$1" 1); shift 2 ;;
      --steps) shrunk+=(--steps 2); has_steps=1; shift 2 ;;
      --pin) shrunk+=(--pin "1:${2#*:}"); shift 2 ;;
      *) shrunk+=("$1"); shift ;;
    esac
  done
  case $sub in sample | eval | forward) [ "$has_steps" = 1 ] || shrunk+=(--steps 2) ;; esac
}

# Chain options of a play command, for `denoise sample`: everything but --theme and --replay.
chain_options() {
  chain=()
  while [ $# -gt 0 ]; do
    case $1 in
      --theme | --replay | --compare) shift 2 ;;
      *) chain+=("$1"); shift ;;
    esac
  done
}

while IFS= read -r cmd; do
  [ -n "$cmd" ] || continue
  name="lesson: $cmd"
  if ! split_command "$cmd"; then not_ok "$name" "a lesson command must be a plain command line"; continue; fi
  if ! resolve_models; then not_ok "$name" "could not make a stand-in model"; continue; fi
  sub=${args[1]:-play}
  rest=("${args[@]:2}")
  missing=""
  [ "$sub" = forward ] && [ "$has_forward" = 0 ] && missing="denoise forward"
  [[ " ${args[*]} " == *" --from-text "* ]] && [ "$has_from_text" = 0 ] && missing="sample --from-text"
  [ "$sub" = play ] && [[ " ${args[*]} " == *" --forward "* ]] && [ "$has_play_forward" = 0 ] && missing="play --forward"
  if [ -n "$missing" ]; then
    echo "ok - $name # skip $missing is not in this build"
    skipped=$((skipped + 1)); passed=$((passed + 1))
    continue
  fi
  if [ "$sub" = play ]; then
    rc=0
    "$BIN" "${args[@]:1}" < /dev/null > "$TMP/out" 2> "$TMP/err" || rc=$?
    if [ "$rc" != 1 ] || ! grep -q "needs a terminal" "$TMP/err"; then
      not_ok "$name" "without a terminal: exit $rc (wanted 1, \"needs a terminal\"): $(cat "$TMP/err")"
      continue
    fi
    chain_options "${rest[@]}"
    if [[ " ${args[*]} " == *" --forward "* ]]; then ok "$name (refused without a terminal)"; continue; fi
    if "$BIN" sample --model "$MODEL" --count 1 --steps 2 "${chain[@]}" > "$TMP/out" 2> "$TMP/err" && [ -s "$TMP/out" ]; then
      ok "$name (refused without a terminal; its chain runs in sample)"
    else not_ok "$name" "the same chain in sample failed: $(cat "$TMP/err")"; fi
    continue
  fi
  shrink "$sub" "${rest[@]}"
  model=()
  case $sub in sample | eval | forward | info) [[ " ${args[*]} " == *" --model "* ]] || model=(--model "$MODEL") ;; esac
  if "$BIN" "${shrunk[@]}" "${model[@]}" > "$TMP/out" 2> "$TMP/err" && [ -s "$TMP/out" ]; then ok "$name"
  else not_ok "$name" "$(cat "$TMP/err" "$TMP/out")"; fi
done <<< "$commands"

echo "$passed passed, $failed failed ($skipped skipped until their feature exists)"
[ "$failed" = 0 ]

#!/usr/bin/env bash
# End-to-end checks of the denoise binary: the CLI contract (DESIGN section 5), one-line errors
# on bad input, and the terminal playground driven through tmux. Uses tiny random models made
# with `denoise init`, so it needs no trained model and runs in well under a minute.
#
#   DENOISE_BIN=/path/to/denoise ./Tests/e2e.sh
#
# Prints `ok - NAME` / `not ok - NAME` per check and a last line `N passed, M failed`; exits 1
# when anything failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BIN=${DENOISE_BIN:-$here/../.build/debug/denoise}
if [ -x "$BIN" ]; then BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN"); fi   # the checks run in a temp dir
if [ ! -x "$BIN" ]; then
  echo "e2e: no denoise binary at $BIN (build first, or set DENOISE_BIN)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
command -v python3 >/dev/null || { echo "e2e: python3 is needed to check JSON output" >&2; echo "0 passed, 1 failed"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/denoise-e2e.XXXXXX")
TMUX_SOCKET="denoise-e2e-$$"
have_tmux=0
command -v tmux >/dev/null && have_tmux=1
cleanup() {
  if [ "$have_tmux" = 1 ]; then tmux -L "$TMUX_SOCKET" kill-server >/dev/null 2>&1 || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
cd "$TMP"   # `e` in the playground and stray outputs land here, never in the repository

passed=0 failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() {
  echo "not ok - $1"
  if [ -n "${2:-}" ]; then printf '%s\n' "$2" | head -n 15 | sed 's/^/#   /'; fi
  failed=$((failed + 1))
}
skip() { echo "ok - $1 # skip $2"; passed=$((passed + 1)); }

# ---------------------------------------------------------------------------------------------
# Fixtures: a tiny random model, one with a classifier, and a few corpora.

tiny_opts=(--hidden 32 --layers 1 --heads 2 --ffn 64 --length 16)
cat > "$TMP/tiny.csv" <<'EOF'
mr,ref
"name[The Eagle], food[Italian]","The Eagle serves Italian food ."
"name[The Mill], food[French], area[riverside]","The Mill is a French restaurant by the riverside ."
"name[Aromi], eatType[pub], food[Italian]","Aromi is an Italian pub , near the river ."
"name[The Eagle], food[French]","The Eagle is a French coffee shop ."
"name[Blue Spice], food[Italian], area[city centre]","Blue Spice is an Italian restaurant in the city centre ."
"name[The Mill], food[French], area[city centre]","The Mill serves French food in the city centre ."
EOF
printf 'the pub is near the river .\nthe cafe is cheap .\n' > "$TMP/ok.txt"
printf '\xff\xfe bad' > "$TMP/latin1.txt"
: > "$TMP/empty.txt"

setup_log=$TMP/setup.log
if ! { "$BIN" init --out "$TMP/tiny" --seed 11 "${tiny_opts[@]}" &&
       "$BIN" init --out "$TMP/ctl" --seed 12 --data "$TMP/tiny.csv" "${tiny_opts[@]}" &&
       "$BIN" train-classifier --model "$TMP/ctl" --data "$TMP/tiny.csv" --iterations 5 \
              --hidden 16 --layers 1 --heads 2 --ffn 32; } > "$setup_log" 2>&1; then
  not_ok "setup: denoise init and train-classifier make tiny models" "$(cat "$setup_log")"
  echo "$passed passed, $failed failed"
  exit 1
fi
ok "setup: denoise init and train-classifier make tiny models"
M=$TMP/tiny
MC=$TMP/ctl

# Broken copies of the tiny model.
cp -r "$M" "$TMP/truncated"; head -c 1000 "$M/model.safetensors" > "$TMP/truncated/model.safetensors"
cp -r "$M" "$TMP/badconfig"; printf '{"vocabSize": 20, garbage' > "$TMP/badconfig/config.json"
cp -r "$M" "$TMP/badvocab"; printf '["PAD","START","END","UNK","one","two"]' > "$TMP/badvocab/vocab.json"

# ---------------------------------------------------------------------------------------------
# CLI contract

run_sample() { "$BIN" sample --model "$M" "$@"; }

check_jsonl_deterministic() {
  run_sample --seed 7 --count 3 --format jsonl > "$TMP/s7a.jsonl" 2>"$TMP/err" || return 1
  run_sample --seed 7 --count 3 --format jsonl > "$TMP/s7b.jsonl" 2>>"$TMP/err" || return 1
  cmp -s "$TMP/s7a.jsonl" "$TMP/s7b.jsonl"
}
if check_jsonl_deterministic; then ok "sample --seed 7 --count 3 --format jsonl is the same twice"
else not_ok "sample --seed 7 --count 3 --format jsonl is the same twice" "$(diff "$TMP/s7a.jsonl" "$TMP/s7b.jsonl" 2>&1; cat "$TMP/err")"; fi

if run_sample --seed 8 --count 3 --format jsonl > "$TMP/s8.jsonl" 2>"$TMP/err" && ! cmp -s "$TMP/s7a.jsonl" "$TMP/s8.jsonl"; then
  ok "sample --seed 8 differs from --seed 7"
else not_ok "sample --seed 8 differs from --seed 7" "$(cat "$TMP/err")"; fi

# A random model's final text can be the same for every seed (its prediction barely depends on
# the input), so the chains themselves are compared through their traces.
if run_sample --seed 7 --steps 10 --trace "$TMP/t7.jsonl" > /dev/null 2>"$TMP/err" &&
   run_sample --seed 8 --steps 10 --trace "$TMP/t8.jsonl" > /dev/null 2>>"$TMP/err" &&
   ! cmp -s "$TMP/t7.jsonl" "$TMP/t8.jsonl"; then
  ok "different seeds give different chains (traces differ)"
else not_ok "different seeds give different chains (traces differ)" "$(cat "$TMP/err")"; fi

check_jsonl_keys() {
  python3 - "$TMP/s7a.jsonl" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 3, f"{len(lines)} lines, expected 3"
for i, line in enumerate(lines):
    o = json.loads(line)
    assert isinstance(o, dict), line
    for k in ("seed", "text", "tokens", "scores"):
        assert k in o, f"line {i + 1} has no {k!r}: {line[:200]}"
    assert o["seed"] == 7 + i, f"line {i + 1}: seed {o['seed']}, expected {7 + i}"
    assert isinstance(o["text"], str) and isinstance(o["scores"], dict)
    assert isinstance(o["tokens"], list) and all(isinstance(t, str) for t in o["tokens"])
    assert o["text"] == " ".join(o["tokens"]), f"line {i + 1}: text is not the tokens joined"
EOF
}
if out=$(check_jsonl_keys 2>&1); then ok "jsonl lines have seed, text, tokens, scores (seeds 7, 8, 9)"
else not_ok "jsonl lines have seed, text, tokens, scores (seeds 7, 8, 9)" "$out"; fi

# Sample i of a batch uses seed + i: the second line of --seed 7 --count 3 is --seed 8 --count 1.
if run_sample --seed 8 --count 1 --format jsonl > "$TMP/s8one.jsonl" 2>"$TMP/err" &&
   [ "$(sed -n 2p "$TMP/s7a.jsonl")" = "$(cat "$TMP/s8one.jsonl")" ]; then
  ok "sample i of a batch is the sample of seed + i"
else not_ok "sample i of a batch is the sample of seed + i" "$(sed -n 2p "$TMP/s7a.jsonl"; cat "$TMP/s8one.jsonl" "$TMP/err")"; fi

K=12
check_trace() {
  run_sample --seed 7 --steps "$K" --format jsonl --trace "$TMP/trace.jsonl" > "$TMP/traced.jsonl" 2>"$TMP/err" || return 1
  python3 - "$TMP/trace.jsonl" "$K" "$TMP/traced.jsonl" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
k = int(sys.argv[2])
assert len(lines) == k + 1, f"{len(lines)} lines, expected {k} steps + final"
steps = [json.loads(l) for l in lines[:-1]]
final = json.loads(lines[-1])
assert final.get("final") is True and isinstance(final.get("text"), str), f"last line: {lines[-1][:200]}"
for i, s in enumerate(steps):
    for key in ("step", "t", "alphaBar", "snrDB", "xt", "x0", "distance", "margin", "changed", "scores"):
        assert key in s, f"step line {i + 1} has no {key!r}"
    assert s["step"] == i + 1, f"line {i + 1}: step {s['step']}"
    assert "final" not in s
a = [s["alphaBar"] for s in steps]
assert all(x < y for x, y in zip(a, a[1:])), f"alphaBar not strictly increasing: {a}"
sample = json.loads(open(sys.argv[3]).read().splitlines()[0])
assert final["text"] == sample["text"], f"trace text {final['text']!r} != sample text {sample['text']!r}"
EOF
}
if out=$(check_trace 2>&1); then ok "--trace writes $K step lines with the snapshot fields, alphaBar rising, then final text"
else not_ok "--trace writes $K step lines with the snapshot fields, alphaBar rising, then final text" "$out$(cat "$TMP/err")"; fi

check_length() {
  run_sample --seed 3 --count 4 --length 5 --format jsonl > "$TMP/len.jsonl" 2>"$TMP/err" || return 1
  python3 -c '
import json, sys
for l in open(sys.argv[1]):
    t = json.loads(l)["tokens"]
    assert len(t) == 5, t
' "$TMP/len.jsonl"
}
if out=$(check_length 2>&1); then ok "--length 5 gives exactly 5 tokens"
else not_ok "--length 5 gives exactly 5 tokens" "$out$(cat "$TMP/err")"; fi

check_infill() {
  run_sample --seed 3 --count 3 --infill "_ is a _ near the _ ." --format jsonl > "$TMP/infill.jsonl" 2>"$TMP/err" || return 1
  python3 -c '
import json, sys
template = "_ is a _ near the _ .".split()
for l in open(sys.argv[1]):
    t = json.loads(l)["tokens"]
    assert len(t) == len(template), t
    for want, got in zip(template, t):
        assert want == "_" or want == got, (template, t)
' "$TMP/infill.jsonl"
}
if out=$(check_infill 2>&1); then ok "--infill keeps every given word in place"
else not_ok "--infill keeps every given word in place" "$out$(cat "$TMP/err")"; fi

if "$BIN" sample --model "$MC" --control food=Italian --steps 10 --format jsonl > "$TMP/ctl.jsonl" 2>"$TMP/err" &&
   python3 -c 'import json,sys; o=json.loads(open(sys.argv[1]).readline()); p=o["scores"]["food=Italian"]; assert 0 <= p <= 1, p' "$TMP/ctl.jsonl" 2>>"$TMP/err"; then
  ok "--control food=Italian runs and reports its score"
else not_ok "--control food=Italian runs and reports its score" "$(cat "$TMP/err")"; fi

if "$BIN" info --model "$MC" > "$TMP/info.txt" 2>"$TMP/err" && grep -q "vocabulary" "$TMP/info.txt" && grep -q "food: " "$TMP/info.txt"; then
  ok "info lists the vocabulary and the classifier's fields"
else not_ok "info lists the vocabulary and the classifier's fields" "$(cat "$TMP/info.txt" "$TMP/err")"; fi

# A link on PATH, called by its bare name from elsewhere, still finds the repository's model.
mkdir -p "$TMP/path-bin" && ln -sf "$BIN" "$TMP/path-bin/denoise"
if (cd / && PATH="$TMP/path-bin:$PATH" denoise info > "$TMP/info-path.txt" 2>"$TMP/err") &&
   grep -q "Models/e2e" "$TMP/info-path.txt"; then
  ok "denoise linked on PATH finds Models/e2e from any folder"
else not_ok "denoise linked on PATH finds Models/e2e from any folder" "$(cat "$TMP/err")"; fi

# ---------------------------------------------------------------------------------------------
# Bad input: non-zero exit and exactly one line on stderr that names the problem.
#
#   bad NAME KEYWORD -- COMMAND...     strict: one stderr line containing KEYWORD
#   badap NAME KEYWORD -- COMMAND...   the error comes from ArgumentParser's validation, which
#                                      prints "Error: ..." followed by its usage lines; the check
#                                      requires exactly one line that is not usage, starting with
#                                      "Error:" and containing KEYWORD.

expect_error() {
  local mode=$1 name=$2 keyword=$3
  shift 4
  local rc=0
  "$@" > "$TMP/out" 2> "$TMP/err" || rc=$?
  local lines problem
  if [ "$mode" = ap ]; then
    lines=$(grep -v -E "^Usage: |^  See '|^  |^$" "$TMP/err" | wc -l)
    problem=$(head -n 1 "$TMP/err")
    [[ $problem == Error:* ]] || lines="not an ArgumentParser error"
  else
    lines=$(wc -l < "$TMP/err")
    problem=$(cat "$TMP/err")
  fi
  if [ "$rc" -ne 0 ] && [ "$lines" = 1 ] && grep -q -F -- "$keyword" <<< "$problem" && ! grep -q "Error Domain" "$TMP/err"; then
    ok "$name"
  else
    not_ok "$name" "exit $rc, stderr lines: $(wc -l < "$TMP/err") (wanted 1 naming \"$keyword\"):
$(cat "$TMP/err")"
  fi
}
bad() { expect_error strict "$@"; }
badap() { local n=$1 k=$2; shift 2; expect_error ap "$n [ArgumentParser: Error line + usage]" "$k" "$@"; }

bad "missing model folder" "no such model folder" -- "$BIN" sample --model "$TMP/no-such-model"
bad "truncated model.safetensors" "model.safetensors" -- "$BIN" sample --model "$TMP/truncated"
bad "garbage config.json" "config.json" -- "$BIN" sample --model "$TMP/badconfig"
bad "vocab.json size disagrees with config.json" "vocab.json" -- "$BIN" sample --model "$TMP/badvocab"
bad "--control food=Klingon lists the accepted values" "accepted French, Italian" -- "$BIN" sample --model "$MC" --control food=Klingon
badap "--control flavour=x names the field" "flavour" -- "$BIN" sample --model "$MC" --control flavour=x
bad "--control without a classifier" "classifier" -- "$BIN" sample --model "$M" --control food=Italian
badap "--guidance-update bogus lists the rules" "accepted sign, normalized" -- "$BIN" sample --model "$MC" --control food=Italian --guidance-update bogus
badap "--guidance-saturation maybe" "accepted on, off" -- "$BIN" sample --model "$MC" --control food=Italian --guidance-saturation maybe
badap "--guidance-step-size -1" "--guidance-step-size" -- "$BIN" sample --model "$MC" --control food=Italian --guidance-step-size=-1
badap "--prediction-guidance-steps 1000" "--prediction-guidance-steps" -- "$BIN" sample --model "$MC" --control food=Italian --prediction-guidance-steps 1000
badap "eval --target with no =" "not FIELD=VALUE" -- "$BIN" eval --model "$MC" --parts control --target foodItalian
bad "--length 0" "length 0" -- "$BIN" sample --model "$M" --length 0
bad "--length 999" "length 999" -- "$BIN" sample --model "$M" --length 999
bad "--infill without a free slot" "no free slot" -- "$BIN" sample --model "$M" --infill "no slots here"
bad "--infill with an unknown word" "zzzunknownword" -- "$BIN" sample --model "$M" --infill "_ zzzunknownword _"
badap "--format xml" "xml" -- "$BIN" sample --model "$M" --format xml
badap "--steps 0" "--steps" -- "$BIN" sample --model "$M" --steps 0
bad "--steps above the model's T" "steps 5000" -- "$BIN" sample --model "$M" --steps 5000
bad "train --data on a non-UTF-8 file" "UTF-8" -- "$BIN" train --data "$TMP/latin1.txt" --out "$TMP/out1" --iterations 1
bad "train --data on an empty file" "no sentences" -- "$BIN" train --data "$TMP/empty.txt" --out "$TMP/out2" --iterations 1
bad "train --out into an unwritable place" "/proc/forbidden" -- "$BIN" train --data "$TMP/ok.txt" --out /proc/forbidden --iterations 1
bad "train --init-from a missing model folder" "no-such-model" -- "$BIN" train --data "$TMP/ok.txt" --out "$TMP/out3" --init-from "$TMP/no-such-model" --iterations 1
badap "train --fixed-length-share 2" "--fixed-length-share" -- "$BIN" train --data "$TMP/ok.txt" --out "$TMP/out4" --fixed-length-share 2 --iterations 1

# A run started from a saved model keeps its architecture and records where it started.
if out=$("$BIN" train --data "$TMP/tiny.csv" --out "$TMP/fromctl" --init-from "$MC" --fixed-length-share 0.5 \
           --iterations 3 --warmup 1 2>&1) && info=$("$BIN" info --model "$TMP/fromctl" 2>&1) &&
   grep -q "started from $MC" <<<"$info" && grep -q "H=32 layers=1" <<<"$info" &&
   grep -q "50% of sentences trained with their length fixed" <<<"$info"; then
  ok "train --init-from --fixed-length-share: same architecture, recorded in config.json"
else
  not_ok "train --init-from --fixed-length-share: same architecture, recorded in config.json" "$out
$info"
fi
bad "sample --trace into an unwritable place" "/proc/forbidden/t.jsonl" -- "$BIN" sample --model "$M" --steps 3 --trace /proc/forbidden/t.jsonl
bad "play with stdout redirected to a file needs a terminal" "terminal" -- "$BIN" play --model "$M"

# ---------------------------------------------------------------------------------------------
# The terminal playground, driven through tmux on a private server.

tm() { env -u TMUX tmux -L "$TMUX_SOCKET" "$@"; }

# start SESSION COMMAND...: runs the command at 100x30, then prints its exit status and the
# terminal modes (icanon/echo show whether the terminal was restored), then waits.
start() {
  local session=$1
  shift
  local cmd
  cmd=$(printf '%q ' "$@")
  tm new-session -d -s "$session" -x 100 -y 30 \
    "TERM=xterm-256color $cmd; echo \"[exited \$?]\"; echo \"[modes \$(stty -a | tr ' ;' '\n\n' | grep -E '^-?(icanon|echo)\$' | tr '\n' ' ')]\"; sleep 120"
}
screen() { tm capture-pane -p -t "$1" 2>/dev/null || true; }
# wait_for SESSION REGEX SECONDS: polls the screen until REGEX shows up.
wait_for() {
  local end=$((SECONDS + $3))
  while [ "$SECONDS" -le "$end" ]; do
    if screen "$1" | grep -q -E -- "$2"; then return 0; fi
    sleep 0.1
  done
  return 1
}
# tmux sends Home and End as \e[1~ and \e[4~ whatever TERM says; with TERM=xterm-256color
# ncurses expects \eOH and \eOF, so those are typed as literal bytes.
press_home() { tm send-keys -t "$1" -l $'\eOH'; }
press_end() { tm send-keys -t "$1" -l $'\eOF'; }
# The pid of the program running in the pane (the pane's shell's child).
program_pid() { pgrep -P "$(tm display-message -p -t "$1" '#{pane_pid}')" | head -n 1; }

tui_checks=(
  "play: header shows step 0/20"
  "play: Right twice -> step 2/20"
  "play: Left -> step 1/20"
  "play: below 80x24 shows \"terminal too small\""
  "play: growing back restores the header"
  "play: q exits 0 and leaves the alternate screen"
  "play: terminal modes restored after q (icanon echo)"
  "play: SIGTERM exits 143 with the terminal restored"
  "play: Ctrl-C exits 130 with the terminal restored"
  "play --replay of a sample --trace opens and steps"
  "play: still responsive after 500 keys in 10 s (q exits 0)"
  "play --theme nosuchtheme in a terminal: exit 1, one line naming the theme"
  "play --replay of a missing trace in a terminal: exit 1, one line naming the file"
)
if [ "$have_tmux" = 0 ]; then
  for name in "${tui_checks[@]}"; do skip "$name" "tmux is not installed"; done
else
  s=play1
  start "$s" "$BIN" play --model "$M" --steps 20
  if wait_for "$s" "step 0/20" 15; then ok "${tui_checks[0]}"; else not_ok "${tui_checks[0]}" "$(screen "$s")"; fi
  tm send-keys -t "$s" Right Right
  if wait_for "$s" "step 2/20" 5; then ok "${tui_checks[1]}"; else not_ok "${tui_checks[1]}" "$(screen "$s")"; fi
  tm send-keys -t "$s" Left
  if wait_for "$s" "step 1/20" 5; then ok "${tui_checks[2]}"; else not_ok "${tui_checks[2]}" "$(screen "$s")"; fi
  tm resize-window -t "$s" -x 70 -y 20
  if wait_for "$s" "terminal too small" 5; then ok "${tui_checks[3]}"; else not_ok "${tui_checks[3]}" "$(screen "$s")"; fi
  tm resize-window -t "$s" -x 100 -y 30
  if wait_for "$s" "step 1/20" 5 && ! screen "$s" | grep -q "terminal too small"; then ok "${tui_checks[4]}"
  else not_ok "${tui_checks[4]}" "$(screen "$s")"; fi
  tm send-keys -t "$s" q
  if wait_for "$s" '^\[exited 0\]' 5 && ! screen "$s" | grep -q "step 1/20"; then ok "${tui_checks[5]}"
  else not_ok "${tui_checks[5]}" "$(screen "$s")"; fi
  if wait_for "$s" '^\[modes icanon echo \]' 3; then ok "${tui_checks[6]}"; else not_ok "${tui_checks[6]}" "$(screen "$s")"; fi
  tm kill-session -t "$s" 2>/dev/null || true

  s=play2
  start "$s" "$BIN" play --model "$M" --steps 20
  if wait_for "$s" "step 0/20" 15; then
    tm send-keys -t "$s" Right
    wait_for "$s" "step 1/20" 5 || true
    pid=$(program_pid "$s" || true)
    if [ -n "$pid" ]; then kill -TERM "$pid"; fi
    if [ -n "$pid" ] && wait_for "$s" '^\[exited 143\]' 5 && wait_for "$s" '^\[modes icanon echo \]' 3 &&
       ! screen "$s" | grep -q "step 1/20"; then
      ok "${tui_checks[7]}"
    else not_ok "${tui_checks[7]}" "pid ${pid:-none}; screen:
$(screen "$s")"; fi
  else
    not_ok "${tui_checks[7]}" "the playground did not start: $(screen "$s")"
  fi
  tm kill-session -t "$s" 2>/dev/null || true

  s=play3
  start "$s" "$BIN" play --model "$M" --steps 20
  if wait_for "$s" "step 0/20" 15; then
    tm send-keys -t "$s" Right
    wait_for "$s" "step 1/20" 5 || true
    tm send-keys -t "$s" C-c
    if wait_for "$s" '^\[exited 130\]' 5 && wait_for "$s" '^\[modes icanon echo \]' 3 &&
       ! screen "$s" | grep -q "step 1/20"; then
      ok "${tui_checks[8]}"
    else not_ok "${tui_checks[8]}" "$(screen "$s")"; fi
  else
    not_ok "${tui_checks[8]}" "the playground did not start: $(screen "$s")"
  fi
  tm kill-session -t "$s" 2>/dev/null || true

  s=replay
  if "$BIN" sample --model "$M" --steps 12 --trace "$TMP/replay.jsonl" > /dev/null 2>"$TMP/err"; then
    start "$s" "$BIN" play --replay "$TMP/replay.jsonl"
    if wait_for "$s" "step 1/12" 15 && { tm send-keys -t "$s" Right Right; wait_for "$s" "step 3/12" 5; } &&
       { press_end "$s"; wait_for "$s" "step 12/12" 5; } &&
       { tm send-keys -t "$s" q; wait_for "$s" '^\[exited 0\]' 5; }; then
      ok "${tui_checks[9]}"
    else not_ok "${tui_checks[9]}" "$(screen "$s")"; fi
    tm kill-session -t "$s" 2>/dev/null || true
  else
    not_ok "${tui_checks[9]}" "sample --trace failed: $(cat "$TMP/err")"
  fi

  s=load
  start "$s" "$BIN" play --model "$M" --steps 20
  if wait_for "$s" "step 0/20" 15; then
    # 50 rounds of 10 keys, 0.2 s apart: 7 from the list, End or Home, then b and Escape (the
    # branch menu opened and dismissed). No g, i, c, e, ? or q: prompts, export and quit.
    keys=(Right Right Left Space Right Left Space + - Tab x s l h '[' ']' t B Right Space)
    sent=0
    round=0
    while [ "$sent" -lt 500 ]; do
      batch_keys=()
      for _ in 1 2 3 4 5 6 7; do
        batch_keys+=("${keys[$(((sent * 7 + round * 3) % ${#keys[@]}))]}")
        sent=$((sent + 1))
      done
      tm send-keys -t "$s" "${batch_keys[@]}"
      if [ $((round % 2)) = 0 ]; then press_end "$s"; else press_home "$s"; fi
      tm send-keys -t "$s" b Escape
      sent=$((sent + 3))
      round=$((round + 1))
      sleep 0.2
    done
    tm send-keys -t "$s" Escape
    press_home "$s"
    responsive=0
    wait_for "$s" "step 0/" 5 && responsive=1
    tm send-keys -t "$s" q
    if [ "$responsive" = 1 ] && wait_for "$s" '^\[exited 0\]' 5; then ok "${tui_checks[10]}"
    else not_ok "${tui_checks[10]}" "sent $sent keys; screen:
$(screen "$s")"; fi
  else
    not_ok "${tui_checks[10]}" "the playground did not start: $(screen "$s")"
  fi
  tm kill-session -t "$s" 2>/dev/null || true

  # Errors found once a terminal is there: still one line on stderr, and the screen left alone.
  # terminal_error INDEX KEYWORD ARGS...: runs `denoise play ARGS` in a pane with stderr to a file.
  terminal_error() {
    local index=$1 keyword=$2
    shift 2
    local session="err$index" cmd
    cmd=$(printf '%q ' "$BIN" play "$@")
    tm new-session -d -s "$session" -x 100 -y 30 \
      "TERM=xterm-256color $cmd 2>$(printf '%q' "$TMP/play-err-$index"); echo \"[exited \$?]\"; sleep 120"
    if wait_for "$session" '^\[exited 1\]' 10 && [ "$(wc -l < "$TMP/play-err-$index")" = 1 ] &&
       grep -q -F -- "$keyword" "$TMP/play-err-$index"; then
      ok "${tui_checks[$index]}"
    else
      not_ok "${tui_checks[$index]}" "$(cat "$TMP/play-err-$index" 2>/dev/null; screen "$session")"
    fi
    tm kill-session -t "$session" 2>/dev/null || true
  }
  terminal_error 11 nosuchtheme --model "$M" --theme nosuchtheme
  terminal_error 12 "$TMP/missing.jsonl" --replay "$TMP/missing.jsonl"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

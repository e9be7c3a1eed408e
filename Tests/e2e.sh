#!/usr/bin/env bash
# End-to-end checks of the denoise binary: the CLI contract (README "Command line"), one-line errors
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
# Six labelled sentences, shared with Tests/e2e-kinds.sh.
cp "$here/Fixtures/tiny-corpus.csv" "$TMP/tiny.csv"
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
assert len(lines) == k + 2, f"{len(lines)} lines, expected header + {k} steps + final"
header = json.loads(lines[0])
assert header.get("header") is True and header["format"] == 2, f"first line: {lines[0][:200]}"
assert header["settings"]["seed"] == 7 and header["settings"]["steps"] == k, header["settings"]
assert header["model"]["name"] and header["model"]["weights"].startswith("fnv1a64:"), header["model"]
assert header["program"].startswith("denoise ") and header["blasCore"], header
steps = [json.loads(l) for l in lines[1:-1]]
final = json.loads(lines[-1])
assert final.get("final") is True and isinstance(final.get("text"), str), f"last line: {lines[-1][:200]}"
for i, s in enumerate(steps):
    for key in ("step", "t", "alphaBar", "snrDB", "xt", "x0", "distance", "margin", "changed", "scores"):
        assert key in s, f"step line {i + 1} has no {key!r}"
    assert s["step"] == i + 1, f"line {i + 1}: step {s['step']}"
    assert all(d >= 0 for d in s["distance"] + s["margin"]), f"line {i + 1}: negative distance or margin"
    assert "final" not in s
a = [s["alphaBar"] for s in steps]
assert all(x < y for x, y in zip(a, a[1:])), f"alphaBar not strictly increasing: {a}"
sample = json.loads(open(sys.argv[3]).read().splitlines()[0])
assert final["text"] == sample["text"], f"trace text {final['text']!r} != sample text {sample['text']!r}"
EOF
}
if out=$(check_trace 2>&1); then ok "--trace writes a header with the settings, $K step lines with the snapshot fields, alphaBar rising, then final text"
else not_ok "--trace writes a header with the settings, $K step lines with the snapshot fields, alphaBar rising, then final text" "$out$(cat "$TMP/err")"; fi

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

# A tagging classifier: values whose words are in the vocabulary are scored by their best span.
tagged_check() {
  cp -r "$MC" "$TMP/tagged" &&
  "$BIN" train-classifier --model "$TMP/tagged" --data "$TMP/tiny.csv" --iterations 5 --tagger \
         --hidden 16 --layers 1 --heads 2 --ffn 32 > "$TMP/tagged.log" &&
  grep -q "span broken" "$TMP/tagged.log" &&
  "$BIN" info --model "$TMP/tagged" | grep -q "tagger: .* values scored by their best span" &&
  "$BIN" sample --model "$TMP/tagged" --control "name=Blue Spice" --steps 10 --format jsonl > "$TMP/tagged.jsonl" &&
  python3 -c '
import json, sys
o = json.loads(open(sys.argv[1]).readline())
p = o["scores"]["name=Blue Spice"]
assert 0 <= p <= 1, p' "$TMP/tagged.jsonl"
}
if out=$(tagged_check 2>&1); then ok "train-classifier --tagger: info names the tagger, a two-word name is steered and scored"
else not_ok "train-classifier --tagger: info names the tagger, a two-word name is steered and scored" "$out$(cat "$TMP/tagged.log" 2>/dev/null)"; fi

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
#                                      prints "Error: ..." followed by its usage lines (and, for a
#                                      value of the wrong kind, a "Help:" line with the option's
#                                      help); the check requires exactly one line that is not
#                                      usage or help, starting with "Error:" and containing KEYWORD.

expect_error() {
  local mode=$1 name=$2 keyword=$3
  shift 4
  local rc=0
  "$@" > "$TMP/out" 2> "$TMP/err" || rc=$?
  local lines problem
  if [ "$mode" = ap ]; then
    lines=$(grep -v -E "^Usage: |^  See '|^  |^Help:  --|^$" "$TMP/err" | wc -l)
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
badap "--guidance-update bogus lists the rules" "Please provide one of 'sign' and 'normalized'" -- "$BIN" sample --model "$MC" --control food=Italian --guidance-update bogus
badap "--guidance-saturation maybe" "Please provide one of 'on' and 'off'" -- "$BIN" sample --model "$MC" --control food=Italian --guidance-saturation maybe
badap "--guidance-step-size -1" "--guidance-step-size" -- "$BIN" sample --model "$MC" --control food=Italian --guidance-step-size=-1
badap "--prediction-guidance-steps 1000" "--prediction-guidance-steps" -- "$BIN" sample --model "$MC" --control food=Italian --prediction-guidance-steps 1000
badap "--temperature 3 names the accepted range" "--temperature must be a number in 0...2" -- "$BIN" sample --model "$M" --temperature 3
badap "eval --temperature nan" "--temperature" -- "$BIN" eval --model "$M" --parts unguided --temperature nan
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
badap "eval --parts bogus names the option and its accepted parts" 'unknown part "bogus": accepted all, unguided, control, pairs, triples, length, infill, steps, forward, edit, loss' -- "$BIN" eval --model "$M" --parts bogus

# Samplers and pins: refused inputs name what is accepted.
bad "--pin on START names the accepted positions" "pin position 0 is START: accepted 1...14" -- "$BIN" sample --model "$MC" --pin 3:0=Italian
bad "--pin past the sequence" "pin position 15 is out of range: accepted 1...14" -- "$BIN" sample --model "$MC" --pin 3:15=Italian
bad "--pin on the END of a fixed length" "END of the fixed length: accepted 1...5" -- "$BIN" sample --model "$MC" --length 5 --pin 3:6=Italian
bad "--pin with a word outside the vocabulary" 'pin word "Pizza" is not in the model' -- "$BIN" sample --model "$MC" --pin 3:2=Pizza
bad "--pin at a step outside the chain" "accepted 0...9 for 10 steps" -- "$BIN" sample --model "$MC" --steps 10 --pin 10:2=Italian
bad "--pin not STEP:POSITION=WORD" "is not STEP:POSITION=WORD" -- "$BIN" sample --model "$MC" --pin 3=Italian
bad "--eta out of range" "accepted 0...1" -- "$BIN" sample --model "$M" --sampler ddim --eta 2
bad "--eta without DDIM" "add --sampler ddim" -- "$BIN" sample --model "$M" --eta 0.5
badap "--sampler bogus lists the samplers" "Please provide one of 'ddpm' and 'ddim'" -- "$BIN" sample --model "$M" --sampler bogus

# A DDIM trace records its sampler, eta and pins in the header, and the pin holds from its step.
check_pin_trace() {
  "$BIN" sample --model "$MC" --seed 5 --steps 8 --sampler ddim --pin 3:2=Italian --trace "$TMP/pin.jsonl" > "$TMP/pin.txt" 2>"$TMP/err" || return 1
  python3 - "$TMP/pin.jsonl" "$TMP/pin.txt" <<'EOF2'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
s = lines[0]["settings"]
assert s["sampler"] == "ddim" and s["eta"] == 0 and s["pinned"] == [{"step": 3, "position": 2, "word": "Italian"}], s
steps = lines[1:-1]
assert [x["xt"][2] == "Italian" for x in steps] == [x["step"] >= 3 for x in steps], [x["xt"][2] for x in steps]
assert "Italian" in open(sys.argv[2]).read().split(), open(sys.argv[2]).read()
EOF2
}
if out=$(check_pin_trace 2>&1); then ok "sample --sampler ddim --pin: the trace header records sampler, eta and pin; the word holds from its step"
else not_ok "sample --sampler ddim --pin: the trace header records sampler, eta and pin; the word holds from its step" "$out$(cat "$TMP/err")"; fi

# eval --parts steps: a row per sampler and step count.
check_steps_json() {
  "$BIN" eval --model "$MC" --data "$TMP/tiny.csv" --count 2 --parts steps --step-counts 2,4 --format json > "$TMP/steps.json" 2>"$TMP/err" || return 1
  python3 - "$TMP/steps.json" <<'EOF2'
import json, sys
o = json.load(open(sys.argv[1]))
rows = o["steps"]["rows"]
assert [(r["sampler"], r["steps"]) for r in rows] == [("DDPM", 2), ("DDPM", 4), ("DDIM η 0", 2), ("DDIM η 0", 4)], rows
assert all(0 <= r["trigramShare"] <= 1 for r in rows) and "unguided" not in o, o
EOF2
}
if out=$(check_steps_json 2>&1); then ok "eval --parts steps --format json: DDPM and DDIM rows at each step count"
else not_ok "eval --parts steps --format json: DDPM and DDIM rows at each step count" "$out$(cat "$TMP/err")"; fi

# eval --format json prints the result encoded: the asked-for parts only, with their figures.
check_eval_json() {
  "$BIN" eval --model "$MC" --data "$TMP/tiny.csv" --count 2 --per-target 1 --steps 4 --parts unguided,length \
    --temperature 0.5 --format json > "$TMP/eval.json" 2>"$TMP/err" || return 1
  python3 - "$TMP/eval.json" <<'EOF2'
import json, sys
o = json.load(open(sys.argv[1]))
assert o["header"]["steps"] == 4 and o["header"]["seed"] == 1, o["header"]
u = o["unguided"]
assert u["count"] == 2 and 0 <= u["trigramShare"] <= 1 and len(u["examples"]) == 2, u
assert 0 < u["distinctTrigrams"] <= 1 and "heldOutDistinctTrigrams" not in u and o["header"]["temperature"] == 0.5, u
l = o["length"]
assert (l["shortest"], l["longest"], l["total"]) == (6, 14, 9) and l["exact"] <= l["total"], l
assert "infill" not in o and "control" not in o, sorted(o)
EOF2
}
if out=$(check_eval_json 2>&1); then ok "eval --format json: the asked-for parts with their figures"
else not_ok "eval --format json: the asked-for parts with their figures" "$out$(cat "$TMP/err")"; fi

# The bundled corpus: without --data, eval reads Data/e2e (devset.csv and testset_w_refs.csv,
# 4,672 + 4,693 sentences), found beside the binary as Models/e2e is (here from /, through the
# link on PATH). A binary with no Data/e2e beside it says so in one line naming --data.
check_default_data() {
  (cd / && PATH="$TMP/path-bin:$PATH" denoise eval --model "$M" --parts unguided --count 1 --steps 2 --format json) \
    > "$TMP/eval-default.json" 2>"$TMP/err" || return 1
  python3 - "$TMP/eval-default.json" <<'EOF2'
import json, sys
h = json.load(open(sys.argv[1]))["header"]
assert h["trainingSentences"] + h["heldOutSentences"] == 4672 + 4693, h
EOF2
}
if out=$(check_default_data 2>&1); then ok "eval without --data reads Data/e2e beside the binary"
else not_ok "eval without --data reads Data/e2e beside the binary" "$out$(cat "$TMP/err")"; fi
mkdir -p "$TMP/lonely" && { ln "$BIN" "$TMP/lonely/denoise" 2>/dev/null || cp "$BIN" "$TMP/lonely/denoise"; }
cp -r "$M" "$TMP/lonely-model"
bad "eval without --data and no Data/e2e: one line naming the file and --data" "Data/e2e/devset.csv is missing" -- \
  "$TMP/lonely/denoise" eval --model "$M" --parts unguided --count 1 --steps 2
bad "train without --data and no Data/e2e: one line naming --data" "give --data FILE" -- \
  "$TMP/lonely/denoise" train --out "$TMP/out6" --iterations 1
bad "train-classifier without --data and no Data/e2e: one line naming the cleaned file" "Data/e2e/devel-fixed.no-ol.csv" -- \
  "$TMP/lonely/denoise" train-classifier --model "$TMP/lonely-model" --iterations 1
# ---------------------------------------------------------------------------------------------
# BLAS kernels: `info` names the kernel set and how it was chosen. A machine whose OpenBLAS
# reports a generic core is imitated by starting under OPENBLAS_CORETYPE=Prescott with the
# test-only DENOISE_TEST_IMITATE_BLAS_CORE=Prescott: the program must re-execute itself into the
# kernel set this CPU's features call for.

blas_line() { "$@" info --model "$M" 2>&1 | grep '^blas '; }
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
has() { grep -qw "$1" <<<"$flags"; }
expected_core=""
if has avx2 && has fma && has avx512f && has avx512bw && has avx512dq && has avx512vl; then
  if has avx512_bf16; then expected_core=Cooperlake; else expected_core=SkylakeX; fi
elif has avx2 && has fma; then
  if grep -qE -m1 'AuthenticAMD|HygonGenuine' /proc/cpuinfo; then expected_core=Zen; else expected_core=Haswell; fi
fi
if [ "$(uname -s)" = Darwin ]; then
  # Accelerate: no kernel sets to choose; info names the library, the macOS version and the CPU.
  if line=$(blas_line "$BIN") && grep -qE "^blas +Accelerate [0-9.]+, kernels .+ \(library's own detection\)$" <<<"$line"; then
    ok "info names the BLAS library, version, kernel set and how it was chosen"
  else not_ok "info names the BLAS library, version, kernel set and how it was chosen" "$line"; fi
  skip "a user's OPENBLAS_CORETYPE wins" "OpenBLAS only"
  skip "generic core reported: re-executes into a better kernel set" "OpenBLAS only"
else
  if line=$(blas_line env -u OPENBLAS_CORETYPE "$BIN") && grep -qE "^blas +OpenBLAS [0-9.]+, kernels [A-Za-z0-9_]+ \((library's own detection|chosen by CPU features)\)$" <<<"$line"; then
    ok "info names the BLAS library, version, kernel set and how it was chosen"
  else not_ok "info names the BLAS library, version, kernel set and how it was chosen" "$line"; fi
  if line=$(blas_line env OPENBLAS_CORETYPE=Haswell "$BIN") && grep -q "kernels Haswell (user's OPENBLAS_CORETYPE)" <<<"$line"; then
    ok "a user's OPENBLAS_CORETYPE wins"
  else not_ok "a user's OPENBLAS_CORETYPE wins" "$line"; fi
  if line=$(blas_line env OPENBLAS_CORETYPE=Prescott DENOISE_TEST_IMITATE_BLAS_CORE=Prescott "$BIN"); then
    if [ -n "$expected_core" ] && grep -q "kernels $expected_core (chosen by CPU features)" <<<"$line"; then
      ok "generic core reported on this CPU: re-executes into $expected_core"
    elif [ -z "$expected_core" ] && grep -q "kernels Prescott (library's own detection)" <<<"$line"; then
      ok "generic core reported on a CPU without AVX2+FMA: keeps the library's kernels"
    else not_ok "generic core reported: re-executes into ${expected_core:-nothing}" "$line"; fi
  else not_ok "generic core reported: re-executes into ${expected_core:-nothing}" "$line"; fi
fi

# ---------------------------------------------------------------------------------------------
# train never touches an existing model unless told to.

train_tiny() { "$BIN" train --data "$TMP/ok.txt" --iterations 2 --warmup 1 --hidden 16 --layers 1 --heads 2 --ffn 16 --length 16 "$@"; }
if out=$(train_tiny 2>&1) && [ -f "$TMP/Models/ok/model.safetensors" ]; then
  ok "train without --out writes Models/<data name> (Models/ok)"
else not_ok "train without --out writes Models/<data name> (Models/ok)" "$out"; fi
before=$(cat "$TMP/Models/ok/model.safetensors" "$TMP/Models/ok/config.json" 2>/dev/null | cksum)
bad "train again without --out refuses the existing model" "already holds a model" -- \
  "$BIN" train --data "$TMP/ok.txt" --iterations 2 --warmup 1 --hidden 16 --layers 1 --heads 2 --ffn 16 --length 16
bad "train --out onto an existing model refuses it" "already holds a model" -- "$BIN" train --data "$TMP/ok.txt" --out "$M" --iterations 1
if [ "$before" = "$(cat "$TMP/Models/ok/model.safetensors" "$TMP/Models/ok/config.json" | cksum)" ]; then
  ok "the refused model is untouched"
else not_ok "the refused model is untouched"; fi
if out=$(train_tiny --seed 5 --force 2>&1) && [ "$before" != "$(cat "$TMP/Models/ok/model.safetensors" "$TMP/Models/ok/config.json" | cksum)" ]; then
  ok "train --force replaces it"
else not_ok "train --force replaces it" "$out"; fi
if out=$("$BIN" train --data "$TMP/ok.txt" --resume --iterations 4 2>&1) && grep -q "saved Models/ok at iteration 4" <<<"$out"; then
  ok "train --resume continues it"
else not_ok "train --resume continues it" "$out"; fi

bad "sample --trace into an unwritable place" "/proc/forbidden/t.jsonl" -- "$BIN" sample --model "$M" --steps 3 --trace /proc/forbidden/t.jsonl
bad "play with stdout redirected to a file needs a terminal" "terminal" -- "$BIN" play --model "$M"
bad "play --forward with an unknown word names it (before the terminal check)" '"zzqx" is not in the model' -- "$BIN" play --model "$MC" --forward "The zzqx serves Italian food ."
bad "play --forward with an empty sentence" "the sentence is empty" -- "$BIN" play --model "$MC" --forward " "
bad "tour with stdout redirected to a file needs a terminal" "tour needs a terminal" -- "$BIN" tour --model "$M"

# A model converted from the reference PyTorch implementation (tools/check_reference_import.py
# --write-fixture): `denoise predict` reproduces PyTorch's x0-hat, and the model samples.
R=$here/Fixtures/reference-bert
npy_max_diff() {
  python3 - "$1" "$2" <<'EOF'
import struct, sys
def load(path):
    data = open(path, "rb").read()
    start = 10 + struct.unpack("<H", data[8:10])[0]
    return struct.unpack("<%df" % ((len(data) - start) // 4), data[start:])
a, b = load(sys.argv[1]), load(sys.argv[2])
print(max(abs(x - y) for x, y in zip(a, b)) if len(a) == len(b) else "length %d vs %d" % (len(a), len(b)))
EOF
}
predict_ok=1 predict_log=""
for t in 0 1000 1999; do
  expected=$(printf '%s/expected_t%04d.npy' "$R" "$t")
  if "$BIN" predict --model "$R" --latent "$R/latents.npy" --t "$t" --out "$TMP/pred.npy" 2>"$TMP/err"; then
    diff=$(npy_max_diff "$TMP/pred.npy" "$expected")
    python3 -c "import sys; sys.exit(0 if float('$diff') <= 1e-3 else 1)" 2>/dev/null || { predict_ok=0; predict_log+="t=$t: max diff $diff; "; }
  else
    predict_ok=0; predict_log+="t=$t: $(cat "$TMP/err"); "
  fi
done
if [ "$predict_ok" = 1 ]; then ok "predict on the converted reference model matches PyTorch within 1e-3"
else not_ok "predict on the converted reference model matches PyTorch within 1e-3" "$predict_log"; fi
if out=$("$BIN" sample --model "$R" --steps 5 --count 2 2>&1) && [ "$(wc -l <<<"$out")" = 2 ]; then
  ok "sample on the converted reference model"
else
  not_ok "sample on the converted reference model" "$out"
fi
write_npy() {   # write_npy PATH DESCR ROWS COLS BYTES_PER_VALUE: zeros with a NumPy v1.0 header
  python3 -c "import struct, sys; p, d, r, c, n = sys.argv[1:]; h = (\"{'descr': '%s', 'fortran_order': False, 'shape': (%s, %s), }\" % (d, r, c)).ljust(117) + '\n'; open(p, 'wb').write(b'\x93NUMPY\x01\x00' + struct.pack('<H', 118) + h.encode() + bytes(int(r) * int(c) * int(n)))" "$@"
}
write_npy "$TMP/f8.npy" '<f8' 16 16 8
write_npy "$TMP/shape.npy" '<f4' 16 8 4
bad "predict --t outside 0..<T" "accepted: 0...1999" -- "$BIN" predict --model "$R" --latent "$R/latents.npy" --t 2000 --out "$TMP/p.npy"
bad "predict on float64 latents" "'<f8'" -- "$BIN" predict --model "$R" --latent "$TMP/f8.npy" --t 5 --out "$TMP/p.npy"
bad "predict on latents of the wrong shape" "accepted: [16, 16] or [B, 16, 16]" -- "$BIN" predict --model "$R" --latent "$TMP/shape.npy" --t 5 --out "$TMP/p.npy"
bad "predict on a missing latent file" "no such file" -- "$BIN" predict --model "$R" --latent "$TMP/none.npy" --t 5 --out "$TMP/p.npy"
bad "predict --previous on a model that reads x_t alone" "for self-conditioned models" -- "$BIN" predict --model "$R" --latent "$R/latents.npy" --t 5 --previous "$R/latents.npy" --out "$TMP/p.npy"
write_npy "$TMP/tiny-x.npy" '<f4' 16 16 4
bad "predict --previous of another shape than the latents" "accepted: the same shape" -- "$BIN" predict --model "$M" --latent "$TMP/tiny-x.npy" --t 5 --previous "$TMP/shape.npy" --out "$TMP/p.npy"
if "$BIN" predict --model "$M" --latent "$TMP/tiny-x.npy" --t 5 --previous "$TMP/tiny-x.npy" --out "$TMP/p-prev.npy" 2>"$TMP/err" &&
   "$BIN" predict --model "$M" --latent "$TMP/tiny-x.npy" --t 5 --out "$TMP/p-zero.npy" 2>>"$TMP/err" &&
   cmp -s "$TMP/p-prev.npy" "$TMP/p-zero.npy"; then
  ok "predict on a self-conditioned model: zeros given as --previous equal no --previous"
else not_ok "predict on a self-conditioned model: zeros given as --previous equal no --previous" "$(cat "$TMP/err")"; fi
bad "bench on a converted reference model says it is inference only" "inference only" -- "$BIN" bench --model "$R"
if out=$("$BIN" info --model "$R" 2>&1) && grep -q "^architecture diffusion-lm-bert " <<<"$out"; then
  ok "info names the imported architecture"
else not_ok "info names the imported architecture" "$out"; fi
bad "train --init-from a converted reference model" "cannot train it" -- "$BIN" train --data "$TMP/ok.txt" --out "$TMP/out5" --init-from "$R" --iterations 1

# ---------------------------------------------------------------------------------------------
# The forward process and editing by partial noising (the tiny model with a classifier: its
# vocabulary is tiny.csv's).

SRC="The Eagle serves Italian food ."
check_forward() {
  "$BIN" forward --model "$MC" --text "$SRC" --steps 12 --seed 3 --format jsonl > "$TMP/fwd.jsonl" 2>"$TMP/err" || return 1
  python3 - "$TMP/fwd.jsonl" 12 "$SRC" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
K, src = int(sys.argv[2]), sys.argv[3].split()
assert len(lines) == K + 1, f"{len(lines)} lines, expected {K} steps and the final line"
steps, final = lines[:-1], lines[-1]
for i, o in enumerate(steps):
    for k in ("step", "t", "alphaBar", "snrDB", "xt", "x0", "kept", "x0Kept"):
        assert k in o, f"step line {i + 1} has no {k!r}"
    assert o["step"] == i + 1 and len(o["xt"]) == 16 and len(o["x0"]) == 16
    assert 0 <= o["kept"] <= 1 and 0 <= o["x0Kept"] <= 1
    kept = sum(o["xt"][p + 1] == w for p, w in enumerate(src)) / len(src)
    assert abs(o["kept"] - kept) < 1e-3, f"step {i + 1}: kept {o['kept']}, the xt words give {kept}"
ts, ab = [o["t"] for o in steps], [o["alphaBar"] for o in steps]
assert ts[0] == 0 and ts[-1] == 1999 and ts == sorted(ts), ts
assert all(a > b for a, b in zip(ab, ab[1:])), "alphaBar must fall from clean to noise"
assert final.get("final") is True and final["text"] == " ".join(src)
assert [w["word"] for w in final["words"]] == src
for w in final["words"]:
    p, lost, gone = w["position"], w["xtLost"], w["xtGone"]
    hits = [o["xt"][p] == w["word"] for o in steps]
    assert lost == (hits.index(False) + 1 if False in hits else None), (w, hits)
    assert gone == (None if hits[-1] else (len(hits) - hits[::-1].index(True) + 1 if True in hits else 1)), (w, hits)
    for k in ("x0Lost", "x0Gone"): assert k in w
EOF
}
if out=$(check_forward 2>&1); then ok "forward --format jsonl: K steps clean to noise with kept/x0Kept, final line with word loss steps"
else not_ok "forward --format jsonl: K steps clean to noise with kept/x0Kept, final line with word loss steps" "$out$(cat "$TMP/err")"; fi

if "$BIN" forward --model "$MC" --text "$SRC" --steps 12 --seed 3 --format jsonl > "$TMP/fwd2.jsonl" 2>"$TMP/err" &&
   "$BIN" forward --model "$MC" --text "$SRC" --steps 12 --seed 4 --format jsonl > "$TMP/fwd4.jsonl" 2>>"$TMP/err" &&
   cmp -s "$TMP/fwd.jsonl" "$TMP/fwd2.jsonl" && ! cmp -s "$TMP/fwd.jsonl" "$TMP/fwd4.jsonl"; then
  ok "forward is the same twice for a seed and differs for another"
else not_ok "forward is the same twice for a seed and differs for another" "$(cat "$TMP/err")"; fi

if out=$("$BIN" forward --model "$MC" --text "$SRC" --steps 5 2>&1) && grep -q "x0Kept" <<<"$out" && grep -q "word loss" <<<"$out" &&
   [ "$(grep -c -E '^ +[0-9]+ +[0-9]+ +[0-9.]+ ' <<<"$out")" -ge 5 ]; then
  ok "forward --format text prints the table and the word loss steps"
else not_ok "forward --format text prints the table and the word loss steps" "$out"; fi

check_edit() {
  "$BIN" sample --model "$MC" --from-text "$SRC" --strength 0.5 --steps 12 --seed 2 --count 3 --control food=French \
    --format jsonl --trace "$TMP/edit-trace.jsonl" > "$TMP/edit.jsonl" 2>"$TMP/err" || return 1
  python3 - "$TMP/edit.jsonl" "$TMP/edit-trace.jsonl" 12 0.5 "$SRC" <<'EOF'
import json, sys
out = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
trace = [json.loads(l) for l in open(sys.argv[2]).read().splitlines()]
K, S, src = int(sys.argv[3]), float(sys.argv[4]), sys.argv[5].split()
assert len(out) == 3 and [o["seed"] for o in out] == [2, 3, 4]
for o in out:
    assert len(o["tokens"]) == len(src), f"length not fixed to the source's {len(src)}: {o['tokens']}"
    assert "food=French" in o["scores"]
timesteps = [int(j * 1999 / (K - 1) + 0.5) for j in range(K)]
target = S * 2000 - 1
index = max(j for j in range(K) if abs(timesteps[j] - target) == min(abs(t - target) for t in timesteps))
assert trace[0].get("header") is True, trace[0]
steps = trace[1:-1]
assert len(steps) == index + 1, f"{len(steps)} steps traced, expected {index + 1} (start index {index})"
assert steps[0]["t"] == timesteps[index], f"first step at t {steps[0]['t']}, expected {timesteps[index]}"
assert steps[0]["step"] == K - index and steps[-1]["step"] == K
assert trace[-1]["text"] == out[0]["text"]
EOF
}
if out=$(check_edit 2>&1); then ok "sample --from-text --strength 0.5: starts at the step matching t = S*T, length fixed, trace and controls work"
else not_ok "sample --from-text --strength 0.5: starts at the step matching t = S*T, length fixed, trace and controls work" "$out$(cat "$TMP/err")"; fi

bad "forward with unknown words names them" '"Zebra", "Quux" are not in' -- "$BIN" forward --model "$MC" --text "The Zebra serves Quux food"
bad "forward with an empty sentence" "empty" -- "$BIN" forward --model "$MC" --text "  "
bad "forward with more than L-2 tokens" "at most 14" -- "$BIN" forward --model "$MC" --text "The The The The The The The The The The The The The The The"
bad "sample --from-text with an unknown word" '"Zebra"' -- "$BIN" sample --model "$MC" --from-text "The Zebra" --strength 0.5
bad "sample --strength 0" "accepted 0 < S <= 1" -- "$BIN" sample --model "$MC" --from-text "$SRC" --strength 0
bad "sample --strength 1.5" "accepted 0 < S <= 1" -- "$BIN" sample --model "$MC" --from-text "$SRC" --strength 1.5
bad "sample --strength -0.2" "accepted 0 < S <= 1" -- "$BIN" sample --model "$MC" --from-text "$SRC" --strength=-0.2
badap "sample --strength without --from-text" "--from-text and --strength" -- "$BIN" sample --model "$MC" --strength 0.5
badap "forward --format xml" "xml" -- "$BIN" forward --model "$MC" --text "$SRC" --format xml
badap "eval --parts forwards" "forwards" -- "$BIN" eval --model "$MC" --parts forwards

cp "$TMP/tiny.csv" "$TMP/held.csv"   # a file the model did not train on: all its sentences count as held out
if out=$("$BIN" eval --model "$MC" --data "$TMP/tiny.csv" --held-out-data "$TMP/held.csv" --parts forward,edit --steps 10 \
           --sentences 4 --strengths 0.5 2>&1) && grep -q "== forward (4 held-out sentences" <<<"$out" &&
   grep -q "x0Kept from pure noise" <<<"$out" && grep -q "edit with food=Italian on" <<<"$out" &&
   grep -q "edit with area=riverside on" <<<"$out"; then
  ok "eval --parts forward,edit runs the forward curve and the edits"
else not_ok "eval --parts forward,edit runs the forward curve and the edits" "$out"; fi

check_noising_json() {
  "$BIN" eval --model "$MC" --data "$TMP/tiny.csv" --held-out-data "$TMP/held.csv" --parts forward,edit,loss --steps 10 \
    --sentences 4 --strengths 0.5 --format json > "$TMP/noising.json" 2>"$TMP/err" || return 1
  python3 - "$TMP/noising.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["forward"]["sentences"] == 4 and len(r["forward"]["curve"]["kept"]) == 10, r.get("forward")
assert [row["strength"] for row in r["edit"]["plain"]["rows"]] == [0.5], r.get("edit")
assert "loss" in r or "lossSkipped" in r, sorted(r)
assert "unguided" not in r and "control" not in r, sorted(r)
EOF
}
if out=$(check_noising_json 2>&1); then ok "eval --parts forward,edit,loss --format json prints those parts as JSON"
else not_ok "eval --parts forward,edit,loss --format json prints those parts as JSON" "$out$(cat "$TMP/err")"; fi

if "$BIN" info --model "$MC" --format json > "$TMP/info.json" 2>"$TMP/err" && python3 - "$TMP/info.json" <<'EOF'
import json, sys
i = json.load(open(sys.argv[1]))
assert i["parameters"] > 0 and i["vocabularySize"] > 4 and i["config"]["sequenceLength"] > 0, i
assert i["blas"]["blasCoreType"] and i["classifier"]["fields"], i
EOF
then ok "info --format json prints the model's figures"
else not_ok "info --format json prints the model's figures" "$(cat "$TMP/err")"; fi

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
  local script="TERM=xterm-256color $cmd; echo \"[exited \$?]\"; echo \"[modes \$(stty -a | tr ' ;' '\n\n' | grep -E '^-?(icanon|echo)\$' | tr '\n' ' ')]\"; sleep 120"
  # Killing the last session makes the tmux server exit; a session started in that moment
  # fails with "server exited unexpectedly", so it is tried once more.
  tm new-session -d -s "$session" -x 100 -y 30 "$script" ||
    { sleep 0.5; tm new-session -d -s "$session" -x 100 -y 30 "$script"; }
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
  "play --replay of a sample --trace opens, shows the trace's seed and steps"
  "play: still responsive after 500 keys in 10 s (q exits 0)"
  "play --theme nosuchtheme in a terminal: exit 1, one line naming the theme"
  "play --replay of a missing trace in a terminal: exit 1, one line naming the file"
  "play --forward opens in forward mode, steps up in t, b edits from x_t, q exits 0"
  "tour: opens at stop 1, Right moves to stop 2, Esc leaves the tour, q exits 0 restored"
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
  if "$BIN" sample --model "$M" --seed 9 --steps 12 --trace "$TMP/replay.jsonl" > /dev/null 2>"$TMP/err"; then
    start "$s" "$BIN" play --replay "$TMP/replay.jsonl"
    if wait_for "$s" "step 1/12" 15 && wait_for "$s" "seed 9" 5 && { tm send-keys -t "$s" Right Right; wait_for "$s" "step 3/12" 5; } &&
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

  s=forward
  start "$s" "$BIN" play --model "$MC" --steps 20 --forward "The Eagle serves Italian food ."
  if wait_for "$s" "forward step 0/20" 15 && { tm send-keys -t "$s" Right Right Right; wait_for "$s" "forward step 3/20" 5; } &&
     { tm send-keys -t "$s" b Enter; wait_for "$s" "edit step 17/20" 5; } &&
     { tm send-keys -t "$s" q; wait_for "$s" '^\[exited 0\]' 5; } && wait_for "$s" '^\[modes icanon echo \]' 3; then
    ok "${tui_checks[13]}"
  else not_ok "${tui_checks[13]}" "$(screen "$s")"; fi
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

  s=tour
  start "$s" "$BIN" tour --model "$M"
  if wait_for "$s" "tour 1 / 1[0-9]" 15; then
    tm send-keys -t "$s" Right
    moved=0 left=0
    wait_for "$s" "tour 2 / 1[0-9]" 5 && moved=1
    tm send-keys -t "$s" Escape
    wait_for "$s" "tour closed" 5 && ! screen "$s" | grep -q "tour 2 /" && left=1
    tm send-keys -t "$s" q
    if [ "$moved" = 1 ] && [ "$left" = 1 ] && wait_for "$s" '^\[exited 0\]' 5 &&
       wait_for "$s" '^\[modes icanon echo \]' 3; then ok "${tui_checks[13]}"
    else not_ok "${tui_checks[13]}" "moved=$moved left=$left: $(screen "$s")"; fi
  else
    not_ok "${tui_checks[13]}" "the tour did not start: $(screen "$s")"
  fi
  tm kill-session -t "$s" 2>/dev/null || true
fi

# ---------------------------------------------------------------------------------------------
# `denoise train` on a terminal: the live screen, a clean finish, Ctrl-C, and --plain. The
# sessions stay (they only sleep) until the cleanup: killing the last one would stop the tmux
# server just as the next check starts its first session.
small_run=(--data "$TMP/ok.txt" --batch-size 4 --warmup 1 --hidden 16 --layers 1 --heads 2 --ffn 16 --length 16)
train_small() { "$BIN" train "${small_run[@]}" "$@"; }

# In a pipe the log lines are exactly the plain ones: data, corpus notes (this two-sentence corpus
# gets the --min-count one), every 100th iteration and the last, saved.
name="train in a pipe prints only the plain log lines"
if full=$(train_small --out "$TMP/plain-train" --iterations 200 2>&1) &&
   grep -q -x 'note: [0-9]*% of the training words are UNK (seen fewer than 2 times): a small corpus may want --min-count 1' <<<"$full" &&
   out=$(grep -v '^note: ' <<<"$full") &&
   [ "$(wc -l <<<"$out")" = 4 ] && ! grep -q $'\e' <<<"$full" &&
   sed -n 1p <<<"$out" | grep -q -E '^data: [0-9]+ training sentences, [0-9]+ held out, 0 dropped \(longer than 14 tokens\); vocabulary [0-9]+; [0-9]+ parameters$' &&
   sed -n 2p <<<"$out" | grep -q -E '^it 100/200  loss [0-9.]+ \(mse [0-9.]+ ce [0-9.]+ out-ce [0-9.]+ prior [0-9.]+\)  [0-9.]+ it/s  lr [0-9.e+-]+  eta [0-9]+m[0-9]{2}s$' &&
   sed -n 3p <<<"$out" | grep -q -E '^it 200/200  loss ' &&
   sed -n 4p <<<"$out" | grep -q -x "saved $TMP/plain-train at iteration 200"; then
  ok "$name"
else not_ok "$name" "$full"; fi

train_checks=(
  "train on a terminal: the live screen shows progress, plots and samples from the weights"
  "train on a terminal: finishes with exit 0, the terminal restored and the log printed"
  "train on a terminal: Ctrl-C saves, exits 130 with the terminal restored"
  "train --plain on a terminal: log lines, no screen"
)
if [ "$have_tmux" = 0 ]; then
  for name in "${train_checks[@]}"; do skip "$name" "tmux is not installed"; done
else
  s=train1
  start "$s" "$BIN" train "${small_run[@]}" --out "$TMP/tty-train" --iterations 300
  if wait_for "$s" "losses and speed over the run" 20 && wait_for "$s" "samples at it 0 · fluency" 20 &&
     wait_for "$s" "it [0-9]+/300 .*eta" 20 && screen "$s" | grep -q -E "^│ mse +[0-9.]+ "; then
    ok "${train_checks[0]}"
  else not_ok "${train_checks[0]}" "$(screen "$s")"; fi
  if wait_for "$s" '^\[exited 0\]' 60 && wait_for "$s" '^\[modes icanon echo \]' 3 &&
     screen "$s" | grep -q -x "saved $TMP/tty-train at iteration 300" && [ -f "$TMP/tty-train/model.safetensors" ] &&
     ! screen "$s" | grep -q "losses and speed"; then
    ok "${train_checks[1]}"
  else not_ok "${train_checks[1]}" "$(screen "$s")"; fi

  s=train2
  start "$s" "$BIN" train "${small_run[@]}" --out "$TMP/tty-stop" --iterations 100000
  if wait_for "$s" "it [0-9]+/100000 .*eta" 20; then
    tm send-keys -t "$s" C-c
    if wait_for "$s" '^\[exited 130\]' 20 && wait_for "$s" '^\[modes icanon echo \]' 3 &&
       screen "$s" | grep -q "interrupted: resume with --resume" && [ -f "$TMP/tty-stop/train-state.safetensors" ]; then
      ok "${train_checks[2]}"
    else not_ok "${train_checks[2]}" "$(screen "$s")"; fi
  else not_ok "${train_checks[2]}" "$(screen "$s")"; fi

  s=train3
  start "$s" "$BIN" train --plain "${small_run[@]}" --out "$TMP/tty-plain" --iterations 100
  if wait_for "$s" '^\[exited 0\]' 60 && screen "$s" | grep -q -x "saved $TMP/tty-plain at iteration 100" &&
     ! screen "$s" | grep -q "losses and speed"; then
    ok "${train_checks[3]}"
  else not_ok "${train_checks[3]}" "$(screen "$s")"; fi
fi

# ---------------------------------------------------------------------------------------------
# The compare screen: a continuous and a masked tiny model side by side, in lockstep.

compare_checks=(
  "play --compare: both halves titled with model, kind and step 0/20"
  "play --compare: Right steps both chains, End takes both to the last step"
  "play --compare at 80x24: two compact strips, each with its reads line"
  "play --compare: q exits 0 with the terminal restored"
  "play: K lists the bundled models, Enter opens the compare screen, Esc goes back"
)
if [ "$have_tmux" = 0 ]; then
  for name in "${compare_checks[@]}"; do skip "$name" "tmux is not installed"; done
elif ! "$BIN" init --kind masked --out "$TMP/tiny-masked" --seed 13 "${tiny_opts[@]}" > "$TMP/err" 2>&1; then
  for name in "${compare_checks[@]}"; do not_ok "$name" "init --kind masked failed: $(cat "$TMP/err")"; done
else
  s=compare1
  start "$s" "$BIN" play --model "$M" --steps 20 --compare "$TMP/tiny-masked"
  if wait_for "$s" "tiny \(.*\) · continuous · step 0/20" 15 && wait_for "$s" "tiny-masked \(.*\) · masked · step 0/20" 10; then
    ok "${compare_checks[0]}"
  else not_ok "${compare_checks[0]}" "$(screen "$s")"; fi
  tm send-keys -t "$s" Right
  if wait_for "$s" "continuous · step 1/20" 5 && wait_for "$s" "masked · step 1/20" 5 &&
     { press_end "$s"; wait_for "$s" "continuous · step 20/20" 10; } && wait_for "$s" "masked · step 20/20 .*masked 0/16" 10; then
    ok "${compare_checks[1]}"
  else not_ok "${compare_checks[1]}" "$(screen "$s")"; fi
  tm resize-window -t "$s" -x 80 -y 24
  if wait_for "$s" "masked · step 20/20" 5 && [ "$(screen "$s" | grep -c '^ reads ')" = 2 ]; then
    ok "${compare_checks[2]}"
  else not_ok "${compare_checks[2]}" "$(screen "$s")"; fi
  tm send-keys -t "$s" q
  if wait_for "$s" '^\[exited 0\]' 5 && wait_for "$s" '^\[modes icanon echo \]' 3; then ok "${compare_checks[3]}"
  else not_ok "${compare_checks[3]}" "$(screen "$s")"; fi
  tm kill-session -t "$s" 2>/dev/null || true

  # K offers the model folders of Models/ (the working directory's first, else the repository's).
  s=compare2
  start "$s" "$BIN" play --model "$TMP/tiny-masked" --steps 20
  if wait_for "$s" "step 0/20" 15 && { tm send-keys -t "$s" K; wait_for "$s" "compare side by side with" 5; } &&
     { tm send-keys -t "$s" 1; wait_for "$s" "denoise · compare · masked and " 30; } &&
     wait_for "$s" "tiny-masked \(.*\) · masked · step 0/20" 5 &&
     { tm send-keys -t "$s" Escape; wait_for "$s" "back to the playground" 5; } &&
     { tm send-keys -t "$s" q; wait_for "$s" '^\[exited 0\]' 5; }; then
    ok "${compare_checks[4]}"
  else not_ok "${compare_checks[4]}" "$(screen "$s")"; fi
  tm kill-session -t "$s" 2>/dev/null || true
fi

# ---------------------------------------------------------------------------------------------
# SIGINT at any moment of start-up (process start, model load, newterm, handlers, first frames):
# the terminal must always come back (icanon, echo) and the exit status must be 130. A wrapper
# writes its pid and execs the program, so the signal reaches the program from its first
# instant; a model of the bundled size makes loading take a noticeable part of the start.
startup_name="play: SIGINT 0.1-2 s after start always leaves the terminal restored (exit 130)"
if [ "$have_tmux" = 0 ]; then
  skip "$startup_name" "tmux is not installed"
else
  printf '#!/bin/sh\necho $$ > "$1"\nshift\nexec "$@"\n' > "$TMP/pid-exec.sh"
  chmod +x "$TMP/pid-exec.sh"
  "$BIN" init --out "$TMP/full" --seed 3 > /dev/null 2>&1 || true
  startup_failures=""
  for delay in 0.1 0.2 0.3 0.45 0.6 0.8 1.0 1.3 1.6 2.0; do
    s="int-${delay/./-}"
    pidfile="$TMP/pid-$s"
    start "$s" "$TMP/pid-exec.sh" "$pidfile" "$BIN" play --model "$TMP/full" --steps 200
    for _ in $(seq 1 200); do [ -s "$pidfile" ] && break; sleep 0.01; done
    sleep "$delay"
    kill -INT "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null || true
    if ! { wait_for "$s" '^\[exited 130\]' 10 && wait_for "$s" '^\[modes icanon echo \]' 3; }; then
      startup_failures+="after ${delay} s: $(screen "$s" | grep -E '^\[(exited|modes)' | tr '\n' ' ')"$'\n'
    fi
    tm kill-session -t "$s" 2>/dev/null || true
  done
  if [ -z "$startup_failures" ]; then ok "$startup_name"; else not_ok "$startup_name" "$startup_failures"; fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

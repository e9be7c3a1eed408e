#!/usr/bin/env bash
# End-to-end checks of the masked and uniform model kinds: every command a discrete model takes
# (init, train, train-classifier, info, sample, traces, forward, predict, eval, bench) on tiny
# random models, and the one-line refusals of options that belong to another kind.
#
#   DENOISE_BIN=/path/to/denoise ./Tests/e2e-kinds.sh
#
# Prints `ok - NAME` / `not ok - NAME` per check and a last line `N passed, M failed`; exits 1
# when anything failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BIN=${DENOISE_BIN:-$here/../.build/debug/denoise}
if [ -x "$BIN" ]; then BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN"); fi
if [ ! -x "$BIN" ]; then
  echo "e2e-kinds: no denoise binary at $BIN (build first, or set DENOISE_BIN)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/denoise-kinds.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"

passed=0 failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() {
  echo "not ok - $1"
  if [ -n "${2:-}" ]; then printf '%s\n' "$2" | head -n 15 | sed 's/^/#   /'; fi
  failed=$((failed + 1))
}
# check NAME COMMAND...: the command succeeds.
check() { local name=$1; shift; if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$out"; fi; }
# refused NAME TEXT COMMAND...: exit 1 with one stderr line `denoise: ...` that contains TEXT.
refused() {
  local name=$1 text=$2; shift 2
  local status=0
  "$@" >"$TMP/out" 2>"$TMP/err" || status=$?
  if [ "$status" = 1 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && grep -q "^denoise: .*$text" "$TMP/err"; then ok "$name"
  else not_ok "$name" "exit $status; stderr: $(cat "$TMP/err")"; fi
}

# Six labelled sentences, shared with Tests/e2e.sh.
cp "$here/Fixtures/tiny-corpus.csv" corpus.csv
tiny=(--hidden 32 --layers 1 --heads 2 --ffn 64 --length 16)

for kind in masked uniform; do
  M=$TMP/$kind
  check "$kind: init --kind $kind" "$BIN" init --kind $kind --out "$M" --data "$here/../Data/e2e/devset.csv" --seed 3 "${tiny[@]}"
  if "$BIN" info --model "$M" | grep -q "^kind        $kind\$"; then ok "$kind: info prints the kind line"
  else not_ok "$kind: info prints the kind line" "$("$BIN" info --model "$M" 2>&1)"; fi
  check "$kind: train-classifier on corrupted tokens" "$BIN" train-classifier --model "$M" --data corpus.csv --iterations 5 \
    --hidden 16 --layers 1 --heads 2 --ffn 32

  a=$("$BIN" sample --model "$M" --count 3 --seed 5 --steps 12 --format jsonl 2>&1) || true
  b=$("$BIN" sample --model "$M" --count 3 --seed 5 --steps 12 --format jsonl 2>&1) || true
  if [ "$a" = "$b" ] && [ "$(grep -c '"text"' <<<"$a")" = 3 ]; then ok "$kind: sample --format jsonl, same seed same samples"
  else not_ok "$kind: sample --format jsonl, same seed same samples" "$a"; fi

  out=$("$BIN" sample --model "$M" --length 5 --count 4 --steps 10 --format jsonl 2>&1) || true
  if python3 -c "import json,sys; rows=[json.loads(l) for l in sys.stdin if l.strip()]; sys.exit(0 if len(rows)==4 and all(len(r['tokens'])==5 for r in rows) else 1)" <<<"$out"
  then ok "$kind: --length 5 gives 5 tokens"; else not_ok "$kind: --length 5 gives 5 tokens" "$out"; fi

  out=$("$BIN" sample --model "$M" --infill "The _ is a _ restaurant ." --count 2 --steps 10 --format jsonl 2>&1) || true
  if python3 -c "
import json,sys
for l in sys.stdin:
    t=json.loads(l)['tokens']
    assert len(t)==7 and t[0]=='The' and t[2:4]==['is','a'] and t[5:]==['restaurant','.'], t
" <<<"$out"; then ok "$kind: --infill keeps the template's words"; else not_ok "$kind: --infill keeps the template's words" "$out"; fi

  check "$kind: sample --control with the classifier" "$BIN" sample --model "$M" --control food=Italian --steps 8 --format jsonl
  check "$kind: sample --unmask/--pin/--temperature run" "$BIN" sample --model "$M" --steps 8 --temperature 0.5 --pin 2:2=Eagle \
    $([ $kind = masked ] && echo --unmask margin)

  check "$kind: sample --trace" "$BIN" sample --model "$M" --steps 6 --trace trace-$kind.jsonl
  if python3 - "$kind" trace-$kind.jsonl <<'PY'
import json, sys
kind, path = sys.argv[1], sys.argv[2]
lines = [json.loads(l) for l in open(path)]
assert lines[0]["header"] and lines[0]["model"]["kind"] == kind, lines[0]
steps = [l for l in lines[1:] if "step" in l]
assert len(steps) == 6 and all(len(s["probability"]) == len(s["x0"]) for s in steps)
if kind == "masked":
    assert "MASK" in steps[0]["xt"] and "MASK" not in steps[-1]["xt"], (steps[0]["xt"], steps[-1]["xt"])
    assert steps[-1]["maskedCount"] == 0
assert lines[-1]["final"]
PY
  then ok "$kind: trace header names the kind; steps carry probabilities"; else not_ok "$kind: trace header names the kind; steps carry probabilities"; fi

  out=$("$BIN" forward --model "$M" --text "The Eagle serves Italian food ." --steps 8 --format jsonl 2>&1) || true
  if python3 - "$kind" <<PY
import json, sys
rows = [json.loads(l) for l in """$out""".splitlines() if l.strip()]
steps = [r for r in rows if "step" in r]
assert len(steps) == 8 and rows[-1]["final"]
if "$kind" == "masked":
    counts = [r["xt"].count("MASK") for r in steps]
    assert counts == sorted(counts) and counts[-1] == 16 and counts[0] < 16, counts
PY
  then ok "$kind: forward walks the sentence into corruption"; else not_ok "$kind: forward walks the sentence into corruption" "$out"; fi

  python3 -c "
import struct
ids=[1,5,6,7,2]+[0]*11
header=\"{'descr': '<f4', 'fortran_order': False, 'shape': (16,), }\"
header+=' '*(64-10-len(header)-1)+'\n'
open('tokens.npy','wb').write(b'\x93NUMPY\x01\x00'+struct.pack('<H',len(header))+header.encode()+struct.pack('<16f',*ids))
"
  if "$BIN" predict --model "$M" --tokens tokens.npy --t 500 --out logits.npy 2>err.txt &&
     python3 -c "
import ast,struct,sys
d=open('logits.npy','rb').read(); n=struct.unpack('<H',d[8:10])[0]; h=ast.literal_eval(d[10:10+n].decode())
v=int(open('$M/config.json').read().split('\"vocabSize\"')[1].split(':')[1].split(',')[0].strip(' }\n'))
sys.exit(0 if h['shape']==(16,v) else 1)"; then ok "$kind: predict --tokens writes logits [L, V]"
  else not_ok "$kind: predict --tokens writes logits [L, V]" "$(cat err.txt)"; fi

  out=$("$BIN" eval --model "$M" --data corpus.csv --count 4 --per-target 2 --steps 6 --parts unguided,length,infill --format json 2>&1) || true
  if python3 -c "import json,sys; r=json.loads(sys.stdin.read()); sys.exit(0 if r else 1)" <<<"$out"; then ok "$kind: eval --format json"
  else not_ok "$kind: eval --format json" "$out"; fi

  refused "$kind: --no-clamp refused" "continuous models" "$BIN" sample --model "$M" --no-clamp
  refused "$kind: --guidance-step-size refused" "continuous models" "$BIN" sample --model "$M" --guidance-step-size 0.2
  refused "$kind: --sampler refused" "continuous models" "$BIN" sample --model "$M" --sampler ddim
  refused "$kind: --latent refused by predict" "give --tokens" "$BIN" predict --model "$M" --latent tokens.npy --t 1 --out x.npy
done

refused "uniform: --unmask refused" "masked models" "$BIN" sample --model "$TMP/uniform" --unmask random
check "continuous: init" "$BIN" init --out "$TMP/cont" "${tiny[@]}"
refused "continuous: --unmask refused" "masked models" "$BIN" sample --model "$TMP/cont" --unmask confidence
refused "init: unknown --kind" "accepted: continuous, masked, uniform" "$BIN" init --kind gaussian --out "$TMP/x"
refused "train: unknown --kind" "accepted: continuous, masked, uniform" "$BIN" train --kind absorbing --data corpus.csv --out "$TMP/y" --iterations 1
refused "train: --embedding-norm on a masked run" "continuous models" "$BIN" train --kind masked --embedding-norm 4 --data corpus.csv --out "$TMP/y" --iterations 1
refused "--unmask bogus" "accepted: random, confidence, margin, entropy" "$BIN" sample --model "$TMP/masked" --unmask bogus
refused "continuous: --guidance-candidates refused" "masked and uniform models" "$BIN" sample --model "$TMP/cont" --guidance-candidates 8
# A value out of range is ArgumentParser's usage error: its Error line, the usage, exit 64.
status=0; "$BIN" sample --model "$TMP/masked" --guidance-candidates 999 >/dev/null 2>"$TMP/err" || status=$?
if [ "$status" = 64 ] && head -n 1 "$TMP/err" | grep -q "^Error: --guidance-candidates must be 0...256 (got 999)"; then
  ok "--guidance-candidates out of range"
else not_ok "--guidance-candidates out of range" "exit $status; stderr: $(cat "$TMP/err")"; fi
for kind in masked uniform; do
  for n in 0 8; do
    check "$kind: --guidance-candidates $n with a control" "$BIN" sample --model "$TMP/$kind" --control food=Italian --steps 6 \
      --guidance-candidates $n --format jsonl
  done
done

for kind in masked uniform; do
  out=$("$BIN" train --kind $kind --data corpus.csv --out "$TMP/t-$kind" --iterations 3 --warmup 1 "${tiny[@]}" --plain 2>&1) || true
  if grep -q '"kind" *: *"'$kind'"' "$TMP/t-$kind/config.json" 2>/dev/null && grep -q "elbo" <<<"$out"; then ok "$kind: train --kind $kind"
  else not_ok "$kind: train --kind $kind" "$out"; fi
  check "$kind: train --resume" "$BIN" train --data corpus.csv --out "$TMP/t-$kind" --resume --iterations 5 --plain
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

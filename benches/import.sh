#!/usr/bin/env bash
# `vigie import` on files of national size (issue #14, item 5): a SIRENE stock
# (StockUniteLegale + StockEtablissement, INSEE's full headers) and an Urssaf débits file,
# written by `vigie generate --format sirene-stock | urssaf-debits`, at each size given:
# wall time, rows per second and peak memory of the import, and beside it, in the same run
# on the same files, pyarrow's streaming CSV reader reading the same columns
# (benches/import_peer.py: parsing alone, no checks). Each size's files are deleted after
# its rows (the largest take about 19 GB with the import's spill files).
#
# Usage: bash benches/import.sh ["N1 N2 …"] [OUT]
#   N: legal units of the SIRENE stock, and companies of the débits file (4 rows each);
#      default "2500000 25000000" (25 million legal units, 37.5 million establishments,
#      100 million débits rows).
#   OUT: working directory (default target/bench-import); results in OUT/results.md.
#   VIGIE_PYTHON: a Python with pyarrow (default .venv-peers/bin/python).
# Needs a release build: cargo build --release -p vigie-cli
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIE=${VIGIE:-target/release/vigie}
SIZES=${1:-"2500000 25000000"}
OUT=${2:-target/bench-import}
PY=${VIGIE_PYTHON:-.venv-peers/bin/python}
mkdir -p "$OUT"
RESULTS="$OUT/results.md"
{
  echo "| input | rows read | file size | generate | vigie import | rows/s | import peak memory | pyarrow read (peer) | import ÷ pyarrow | pyarrow peak memory | rows written |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} > "$RESULTS"
cat "$RESULTS"

gb() { awk '{printf "%.2f GB", $1/1024/1024}'; }  # from kB

measure() { # label dir peer-sep peer-columns "files…" "import args…" output-name
  local label=$1 dir=$2 sep=$3 columns=$4 files=$5 args=$6 output=$7
  local bytes
  bytes=$(du -cb $files | tail -1 | cut -f1)
  /usr/bin/time -f "%e %M" -o "$dir/peer.time" "$PY" benches/import_peer.py "$sep" "$columns" $files > "$dir/peer.rows"
  # shellcheck disable=SC2086
  /usr/bin/time -f "%e %M" -o "$dir/import.time" "$VIGIE" import $args --out "$dir/out" > "$dir/import.json" 2> "$dir/import.log"
  "$PY" - "$label" "$dir" "$bytes" "$output" <<'PY' | tee -a "$RESULTS"
import json, sys
label, d, size, output = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rep = json.load(open(f"{d}/import.json"))
gen_s = float(open(f"{d}/generate.time").read().split()[0])
imp_s, imp_kb = map(float, open(f"{d}/import.time").read().split())
peer_s, peer_kb = map(float, open(f"{d}/peer.time").read().split())
rows = sum(s["rows_read"] for s in rep["inputs"])
peer_rows = int(open(f"{d}/peer.rows").read())
assert peer_rows == rows, (peer_rows, rows)
written = rep["outputs"][output]["rows"]
print(f"| {label} | {rows:,} | {size / 1e9:.2f} GB | {gen_s:.1f} s | {imp_s:.1f} s | "
      f"{rows / imp_s / 1e6:.2f} M | {imp_kb / 1024 / 1024:.2f} GB | {peer_s:.1f} s | "
      f"{imp_s / peer_s:.2f} | {peer_kb / 1024 / 1024:.2f} GB | {written:,} {output} |")
PY
}

for n in $SIZES; do
  d="$OUT/sirene-$n"
  rm -rf "$d" && mkdir -p "$d"
  /usr/bin/time -f "%e %M" -o "$d/generate.time" \
    "$VIGIE" generate --format sirene-stock --companies "$n" --seed 1 --out "$d" > /dev/null 2>&1
  measure "SIRENE, $n legal units" "$d" "," \
    "siren,datecreationunitelegale,trancheeffectifsunitelegale,etatadministratifunitelegale,datedebut,categoriejuridiqueunitelegale,activiteprincipaleunitelegale,nomenclatureactiviteprincipaleunitelegale,etablissementsiege,codecommuneetablissement" \
    "$d/StockEtablissement.csv $d/StockUniteLegale.csv" \
    "--sirene-ul $d/StockUniteLegale.csv --sirene-etab $d/StockEtablissement.csv" companies
  rm -rf "$d"/*.csv "$d/out"

  d="$OUT/debits-$n"
  rm -rf "$d" && mkdir -p "$d"
  /usr/bin/time -f "%e %M" -o "$d/generate.time" \
    "$VIGIE" generate --format urssaf-debits --companies "$n" --seed 1 --out "$d" > /dev/null 2>&1
  measure "Urssaf débits, $n companies" "$d" ";" \
    "num_cpte,siren,siret,periode,num_ecn,num_hist_ecn,dt_trt_ecn,mt_po,mt_pp,cd_op_ecn,etat_cpte,cd_pro_col,motif_ecn" \
    "$d/debits.csv" "--urssaf-debits $d/debits.csv" social_monthly
  rm -rf "$d"/*.csv "$d/out"
done

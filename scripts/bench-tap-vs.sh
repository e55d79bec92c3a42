#!/usr/bin/env bash
# The output tap's throughput in this tree against the tree at REF, in one run: the two are built
# once and their benchmark binaries run alternately ROUNDS times, so the VM's drift hits both alike.
# Prints each sub-benchmark's median MB/s per tree and the ratio (this tree / REF).
#
#   scripts/bench-tap-vs.sh 04c563a 7
set -euo pipefail
ref=${1:?usage: scripts/bench-tap-vs.sh REF [ROUNDS]}
rounds=${2:-7}
top=$(git rev-parse --show-toplevel)
cd "$top"
work=$(mktemp -d)
trap 'git worktree remove --force "$work/old" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add -q --detach "$work/old" "$ref"
(cd "$work/old" && go test -c -o "$work/old.test" ./classify)
go test -c -o "$work/new.test" ./classify
run() { # binary dir label
    (cd "$2" && "$1" -test.run '^$' -test.bench '^BenchmarkTap$' -test.benchtime 100x) |
        awk -v who="$3" '$1 ~ /^BenchmarkTap\// { for (i = 2; i <= NF; i++) if ($(i+1) == "MB/s") { sub(/-[0-9]+$/, "", $1); print who, $1, $i } }'
}
for _ in $(seq "$rounds"); do
    run "$work/old.test" "$work/old/classify" old
    run "$work/new.test" "$top/classify" new
done | awk '
    { v[$1 " " $2] = v[$1 " " $2] " " $3; names[$2] = 1 }
    function median(s,   a, n, i, j, t) {
        n = split(s, a, " ")
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    END {
        printf "%-34s %12s %12s %8s\n", "benchmark", "REF MB/s", "this MB/s", "ratio"
        for (n in names) {
            if (!(("old " n) in v) || !(("new " n) in v)) continue
            o = median(v["old " n]); w = median(v["new " n])
            printf "%-34s %12.1f %12.1f %8.3f\n", n, o, w, w / o
        }
    }'

#!/usr/bin/env bash
# release-repro.sh VERSION: build the release of VERSION a second time, from the same commit, and
# require every file to come out byte for byte the same as the staged tree dist/out/vVERSION/: the
# archives, packages and npm tarballs are dated at the commit and stamped with it, never with the
# time of the build, so anyone can rebuild a release and check it against SHA256SUMS. The second
# build compiles everything again in a build cache of its own, so the binaries are rebuilt too,
# not taken from the first build's cache.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/release-common.sh
release_args release-repro.sh "${1:-}"
release_staged release-repro
again=$(mktemp -d)
trap 'chmod -R u+w "$again" 2>/dev/null; rm -rf "$again"' EXIT
# GoReleaser itself is built with the usual cache (the justfile's `go run PKG@VERSION` becomes
# `go install PKG@VERSION`); only what it builds gets the empty one.
if [[ $goreleaser == "go run "* ]]; then
    GOBIN="$again/bin" go install "${goreleaser#go run }"
    goreleaser="$again/bin/goreleaser"
fi
# The second build's own output is not what is checked; its files are.
GOCACHE="$again/gocache" OMUX_GORELEASER=$goreleaser OMUX_RELEASE_OUT="$again/v$version" \
    bash scripts/release-local.sh "$version" >"$again/build.log" 2>&1 || { cat "$again/build.log" >&2; exit 1; }
# What a release ships; handoff/ (written by release-handoff) and GoReleaser's effective config are not.
sums() { (cd "$1" && find artifacts nfpm homebrew npm npm-tarballs -type f ! -name goreleaser-config.yaml -print0 | sort -z | xargs -0 sha256sum); }
if ! diff <(sums "$out") <(sums "$again/v$version") >"$again/diff"; then
    echo "release-repro: a second build of $version differs:" >&2
    cat "$again/diff" >&2
    exit 1
fi
echo "release-repro: a second build of $version is byte for byte the same ($(sums "$out" | wc -l) files)"

# release-common.sh: sourced by the release scripts, after `cd` to the repository's root.
#   release_args NAME VERSION  sets version (no leading v) and out (dist/out/vVERSION)
#   release_staged NAME        fails unless out holds a staged release
#   goreleaser                 the pinned GoReleaser command (the justfile passes its own pin)

goreleaser=${OMUX_GORELEASER:-go run github.com/goreleaser/goreleaser/v2@v2.15.1}

release_args() {
    version=${2:?usage: $1 VERSION (e.g. 0.2.0)}
    version=${version#v}
    out=dist/out/v$version
}

release_staged() {
    [ -f "$out/artifacts/SHA256SUMS" ] || { echo "$1: $out is not staged; run just release-local $version first" >&2; exit 1; }
}

#!/usr/bin/env bash
# release-local.sh VERSION: stage a whole release under dist/out/vVERSION/, offline (nothing is
# published or downloaded but Go modules): GoReleaser builds the six targets, the archives,
# SHA256SUMS, the deb and rpm (nfpm) and the Homebrew formula; release-npm.js lays out and packs
# the npm packages. The layout:
#   artifacts/     archives (tar.gz, zip on Windows), SHA256SUMS, install.sh
#   nfpm/          the .deb and .rpm, and GoReleaser's effective config (nfpm's settings in it)
#   homebrew/      oauth-mux.rb
#   npm/           the package directories;  npm-tarballs/  what npm publish takes
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/release-common.sh
release_args release-local.sh "${1:-}"
if ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
    echo "release-local: $version is not a semantic version (MAJOR.MINOR.PATCH[-PRERELEASE])" >&2
    exit 2
fi
# OMUX_RELEASE_OUT stages elsewhere (release-repro.sh builds a second tree to compare).
out=${OMUX_RELEASE_OUT:-$out}
gr=build/goreleaser

# GoReleaser reads the commit, its time (the builds' and files' dates) and the remote URL from git;
# without a remote it drops all three. A clone with no remote gets one for this command alone
# (through git's environment, the repository's config untouched).
if [ -z "$(git remote 2>/dev/null)" ]; then
    export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url GIT_CONFIG_VALUE_0=https://github.com/oauth-mux/oauth-mux.git
fi
git rev-parse --verify HEAD >/dev/null || { echo "release-local: needs a git checkout with a commit" >&2; exit 1; }

echo "== goreleaser (snapshot $version)"
OMUX_RELEASE_VERSION=$version $goreleaser release --snapshot --clean

rm -rf "$out"
mkdir -p "$out/artifacts" "$out/nfpm" "$out/homebrew"
cp "$gr"/*.tar.gz "$gr"/*.zip "$gr"/SHA256SUMS "$out/artifacts/"
sed "s/@VERSION@/$version/" install.sh >"$out/artifacts/install.sh"
chmod 0755 "$out/artifacts/install.sh"
cp "$gr"/*.deb "$gr"/*.rpm "$out/nfpm/"
cp "$gr/config.yaml" "$out/nfpm/goreleaser-config.yaml"
formula=$(find "$gr" -name 'oauth-mux.rb' -print -quit)
[ -n "$formula" ] || { echo "release-local: GoReleaser wrote no Homebrew formula" >&2; exit 1; }
cp "$formula" "$out/homebrew/oauth-mux.rb"

echo "== npm"
node scripts/release-npm.js "$version" "$gr" "$out"

echo "== staged $out"
(cd "$out" && find . -type f | sort)

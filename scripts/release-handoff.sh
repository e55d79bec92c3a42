#!/usr/bin/env bash
# release-handoff.sh VERSION: write dist/out/vVERSION/handoff/HANDOFF.md, the checklist of what a
# maintainer uploads where, with every file's SHA-256. It publishes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/release-common.sh
release_args release-handoff.sh "${1:-}"
release_staged release-handoff
mkdir -p "$out/handoff"
sum() { sha256sum "$1" | cut -d' ' -f1; }
list() { for f in "$@"; do printf -- '- `%s`  \n  sha256 `%s`\n' "${f#"$out"/}" "$(sum "$f")"; done; }
{
    printf '# oauth-mux %s: release handoff\n\n' "$version"
    printf 'Staged by `just release-local %s` from commit %s. Nothing here has been published.\n\n' "$version" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    printf '## 1. GitHub release v%s\n\nTag the commit `v%s`, create the release, and attach every file of `artifacts/`:\n\n' "$version" "$version"
    list "$out"/artifacts/* "$out"/nfpm/*.deb "$out"/nfpm/*.rpm
    printf '\n`install.sh` fetches from `https://github.com/oauth-mux/oauth-mux/releases/download/v%s/`; it must sit beside `SHA256SUMS` and the archives.\n\n' "$version"
    printf '## 2. npm\n\nPublish the platform packages first, then the root (it names them as optionalDependencies):\n\n'
    for f in "$out"/npm-tarballs/oauth-mux-*-*.tgz; do printf -- '1. `npm publish --access public %s`  (sha256 `%s`)\n' "${f#"$out"/}" "$(sum "$f")"; done
    f=$(ls "$out"/npm-tarballs/oauth-mux-[0-9]*.tgz)
    printf -- '1. `npm publish --access public %s`  (sha256 `%s`)\n\n' "${f#"$out"/}" "$(sum "$f")"
    printf '## 3. Homebrew\n\nCommit `homebrew/oauth-mux.rb` to `Formula/oauth-mux.rb` of the tap `oauth-mux/homebrew-tap` after the GitHub release exists (its URLs point there):\n\n'
    list "$out/homebrew/oauth-mux.rb"
    printf '\n## 4. deb and rpm\n\nAttached to the GitHub release above; for an apt or yum repository, add:\n\n'
    list "$out"/nfpm/*.deb "$out"/nfpm/*.rpm
    printf '\n## Checks before publishing\n\n- `just release-proof %s` passed on this tree.\n- `cd %s/artifacts && sha256sum -c --ignore-missing SHA256SUMS`\n' "$version" "$out"
} >"$out/handoff/HANDOFF.md"
echo "wrote $out/handoff/HANDOFF.md"

#!/usr/bin/env bash
# release-proof.sh VERSION: prove the staged tree dist/out/vVERSION/ installs on this machine, each
# way a user installs it, into temporary prefixes, offline:
#   1. every file SHA256SUMS lists verifies;
#   2. install.sh from the tree installs the host's archive, and refuses a tampered one;
#   3. npm install -g of the host's platform tarball and the root tarball (never the registry);
#   4. where root and dpkg are here, the .deb installs (binary, completions, man page) and removes
#      cleanly;
#   5. where root and rpm are here, the .rpm installs into a temporary root and removes cleanly.
# From each install it runs `oauth-mux version` (which must name VERSION) and `oauth-mux demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/release-common.sh
release_args release-proof.sh "${1:-}"
release_staged release-proof
out=$(pwd)/$out # the installs below run from other directories
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass() { printf 'ok   %s\n' "$*"; }
fail() { printf 'FAIL %s\n' "$*" >&2; exit 1; }

head=$(git rev-parse HEAD)
# check BIN LABEL: the binary names the version and the commit it was built from, and runs the demo.
check() {
    local v c
    v=$("$1" version) || fail "$2: oauth-mux version failed"
    [[ $v =~ ^oauth-mux\ ${version//./\\.}\ \(([0-9a-f]{7,})\)$ ]] || fail "$2: version says '$v', want $version and a commit"
    c=${BASH_REMATCH[1]}
    [[ $head == "$c"* ]] || fail "$2: built from commit $c, the checkout is at $head"
    HOME="$tmp/home-$3" OMUX_STATE_DIR="$tmp/state-$3" "$1" demo >"$tmp/demo-$3.log" 2>&1 || { cat "$tmp/demo-$3.log" >&2; fail "$2: oauth-mux demo failed"; }
    pass "$2: $v; demo ran"
}

case $(uname -s) in Linux) os=linux ;; Darwin) os=darwin ;; *) fail "no proof for $(uname -s)" ;; esac
case $(uname -m) in x86_64 | amd64) arch=amd64 npmcpu=x64 ;; aarch64 | arm64) arch=arm64 npmcpu=arm64 ;; *) fail "no proof for $(uname -m)" ;; esac

# 1. checksums: each listed file where the tree keeps it.
n=0
while read -r want name; do
    name=${name#\*}
    f=$(find "$out/artifacts" "$out/nfpm" -maxdepth 1 -name "$name" -print -quit)
    [ -n "$f" ] || fail "SHA256SUMS lists $name, which the tree does not hold"
    [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$want" ] || fail "checksum of $name does not match SHA256SUMS"
    n=$((n + 1))
done <"$out/artifacts/SHA256SUMS"
[ "$n" -ge 8 ] || fail "SHA256SUMS lists $n files, want the 6 archives and the packages"
pass "checksums: $n files verify against SHA256SUMS"

# Reproducible archives: every entry is dated at the commit, not at the build.
archive="oauth-mux_${version}_${os}_${arch}.tar.gz"
when=$(TZ=UTC git log -1 --format=%cd --date=format-local:'%Y-%m-%d %H:%M' HEAD)
dates=$(TZ=UTC tar -tvzf "$out/artifacts/$archive" | awk '{print $4" "$5}' | sort -u)
[ "$dates" = "$when" ] || fail "entries of $archive are dated $dates, not at the commit ($when)"
pass "archive entries dated at the commit ($dates UTC)"

# 2. install.sh, from the tree as a local base URL.
sh "$out/artifacts/install.sh" --base-url "$out/artifacts" --prefix "$tmp/script" 2>"$tmp/install.log" || { cat "$tmp/install.log" >&2; fail "install.sh failed"; }
check "$tmp/script/bin/oauth-mux" "install.sh" script
[ -f "$tmp/script/share/man/man1/oauth-mux.1.gz" ] || fail "install.sh did not install the man page"
# A tampered archive is refused and nothing is installed.
mkdir -p "$tmp/bad"
cp "$out"/artifacts/* "$tmp/bad/"
printf 'x' >>"$tmp/bad/$archive"
if sh "$tmp/bad/install.sh" --base-url "$tmp/bad" --prefix "$tmp/tampered" 2>"$tmp/tampered.log"; then
    fail "install.sh installed a tampered archive"
fi
grep -q "checksum mismatch" "$tmp/tampered.log" || { cat "$tmp/tampered.log" >&2; fail "install.sh did not say why it refused"; }
[ ! -e "$tmp/tampered/bin/oauth-mux" ] || fail "install.sh left a binary after refusing"
pass "install.sh: refuses a tampered archive (checksum mismatch), installs nothing"

# 3. npm, from the two tarballs alone: the registry is never asked for the platform packages.
if command -v npm >/dev/null; then
    npmos=$os
    plat=$(ls "$out"/npm-tarballs/oauth-mux-"$npmos"-"$npmcpu"-*.tgz)
    rootpkg=$(ls "$out"/npm-tarballs/oauth-mux-[0-9]*.tgz)
    npm install -g --prefix "$tmp/npm" --offline --no-audit --no-fund --loglevel=error "$plat" "$rootpkg" >"$tmp/npm.log" 2>&1 || { cat "$tmp/npm.log" >&2; fail "npm install -g failed"; }
    check "$tmp/npm/bin/oauth-mux" "npm install -g" npm
    # The launcher passes the exit status through.
    set +e
    "$tmp/npm/bin/oauth-mux" no-such-command >/dev/null 2>&1
    st=$?
    set -e
    [ "$st" -eq 2 ] || fail "npm launcher: a usage error exited $st, want 2"
    pass "npm launcher: exit status passed through"
else
    echo "skip npm: npm is not installed"
fi

# 4. the .deb, where this machine can install one.
deb=$(ls "$out"/nfpm/oauth-mux_"$version"_linux_"$arch".deb 2>/dev/null || true)
if [ "$os" = linux ] && [ -n "$deb" ] && command -v dpkg >/dev/null && [ "$(id -u)" -eq 0 ]; then
    if dpkg -s oauth-mux >/dev/null 2>&1; then
        fail "a package oauth-mux is installed already; the proof does not touch it"
    fi
    dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log" >&2; fail "dpkg -i failed"; }
    trap 'dpkg -r oauth-mux >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
    check /usr/bin/oauth-mux "dpkg -i" deb
    for f in /usr/share/bash-completion/completions/oauth-mux /usr/share/zsh/vendor-completions/_oauth-mux \
        /usr/share/fish/vendor_completions.d/oauth-mux.fish /usr/share/man/man1/oauth-mux.1.gz /usr/share/doc/oauth-mux/copyright; do
        [ -f "$f" ] || fail "the deb did not install $f"
    done
    files=$(dpkg -L oauth-mux | while read -r f; do [ -f "$f" ] && echo "$f"; done)
    dpkg -r oauth-mux >/dev/null 2>&1 || fail "dpkg -r failed"
    for f in $files; do [ ! -e "$f" ] || fail "dpkg -r left $f"; done
    ! dpkg -s oauth-mux >/dev/null 2>&1 || fail "the package is still known to dpkg after removal"
    pass "deb: installs the binary, completions and man page; removes cleanly"
else
    echo "skip deb: needs Linux, root and dpkg"
fi
# 5. the .rpm, into a temporary root: rpm's own database there, nothing of this system touched.
# --nodeps because that root holds no system to depend on (the binary is static and needs none).
rpmfile=$(ls "$out"/nfpm/oauth-mux_"$version"_linux_"$arch".rpm 2>/dev/null || true)
# rpm's transaction chroots into the root and chowns to root: it needs root, as dpkg does.
if [ "$os" = linux ] && [ -n "$rpmfile" ] && command -v rpm >/dev/null && [ "$(id -u)" -eq 0 ]; then
    root="$tmp/rpmroot"
    mkdir -p "$root"
    rpm -i --root "$root" --nodeps "$rpmfile" >"$tmp/rpm.log" 2>&1 || { cat "$tmp/rpm.log" >&2; fail "rpm -i failed"; }
    check "$root/usr/bin/oauth-mux" "rpm -i" rpm
    for f in /usr/share/bash-completion/completions/oauth-mux /usr/share/zsh/site-functions/_oauth-mux \
        /usr/share/fish/vendor_completions.d/oauth-mux.fish /usr/share/man/man1/oauth-mux.1.gz /usr/share/licenses/oauth-mux/LICENSE; do
        [ -f "$root$f" ] || fail "the rpm did not install $f"
    done
    rpm -e --root "$root" --nodeps oauth-mux >>"$tmp/rpm.log" 2>&1 || { cat "$tmp/rpm.log" >&2; fail "rpm -e failed"; }
    listed=$(rpm -qlp "$rpmfile" 2>/dev/null) || fail "rpm -qlp cannot list $rpmfile"
    left=$(printf '%s\n' "$listed" | while read -r f; do [ ! -e "$root$f" ] || echo "$f"; done)
    [ -z "$left" ] || fail "rpm -e left $left"
    pass "rpm: installs the binary, completions and man page into a root; removes cleanly"
else
    echo "skip rpm: needs Linux, root and rpm"
fi
echo "release proof of $version: passed"

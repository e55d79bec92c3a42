#!/bin/sh
# install.sh: install oauth-mux from a release, verifying its checksum first.
#
#   curl -fsSL https://github.com/oauth-mux/oauth-mux/releases/download/vVERSION/install.sh | sh
#   sh install.sh [--version VERSION] [--base-url URL|DIR] [--prefix DIR] [--bin-dir DIR]
#
# It picks the archive for this OS and CPU, fetches it and SHA256SUMS from the base URL (or copies
# them from a local directory), refuses to install when the archive's SHA-256 is not the one
# SHA256SUMS lists, and installs the binary into ~/.local/bin (or PREFIX/bin, or --bin-dir). It
# never needs root. OMUX_INSTALL_BASE_URL and OMUX_INSTALL_VERSION replace the defaults.
set -eu

# Filled in by the release (scripts/release-local.sh); --version or OMUX_INSTALL_VERSION override it.
default_version="@VERSION@"

version=${OMUX_INSTALL_VERSION:-$default_version}
base=${OMUX_INSTALL_BASE_URL:-}
prefix="$HOME/.local"
bindir=""

die() { printf 'install.sh: error: %s\n' "$*" >&2; exit 1; }
say() { printf 'install.sh: %s\n' "$*" >&2; }

while [ $# -gt 0 ]; do
    case $1 in
    --version) version=${2:?--version needs a value}; shift 2 ;;
    --version=*) version=${1#*=}; shift ;;
    --base-url) base=${2:?--base-url needs a value}; shift 2 ;;
    --base-url=*) base=${1#*=}; shift ;;
    --prefix) prefix=${2:?--prefix needs a value}; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --bin-dir) bindir=${2:?--bin-dir needs a value}; shift 2 ;;
    --bin-dir=*) bindir=${1#*=}; shift ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
    esac
done
case $version in
'' | @*) die "no version: pass --version VERSION" ;;
esac
version=${version#v}
[ -n "$bindir" ] || bindir="$prefix/bin"
[ -n "$base" ] || base="https://github.com/oauth-mux/oauth-mux/releases/download/v$version"

case $(uname -s) in
Linux) os=linux ;;
Darwin) os=darwin ;;
MINGW* | MSYS* | CYGWIN*) die "on Windows, unpack oauth-mux_${version}_windows_amd64.zip (or _arm64) from the release instead" ;;
*) die "no release for $(uname -s)" ;;
esac
case $(uname -m) in
x86_64 | amd64) arch=amd64 ;;
aarch64 | arm64) arch=arm64 ;;
*) die "no release for the $(uname -m) CPU" ;;
esac
archive="oauth-mux_${version}_${os}_${arch}.tar.gz"

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t oauth-mux)
trap 'rm -rf "$tmp"' EXIT INT TERM

# fetch NAME: from a local directory (a path or file://), else over HTTPS with curl or wget.
fetch() {
    case $base in
    file://*) src="${base#file://}/$1" ;;
    http://* | https://*) src="" ;;
    *) src="$base/$1" ;;
    esac
    if [ -n "$src" ]; then
        [ -f "$src" ] || die "$src does not exist"
        cp "$src" "$tmp/$1"
    elif command -v curl >/dev/null 2>&1; then
        curl -fsSL --proto '=https' --tlsv1.2 -o "$tmp/$1" "$base/$1" || die "could not download $base/$1"
    elif command -v wget >/dev/null 2>&1; then
        wget -q --https-only -O "$tmp/$1" "$base/$1" || die "could not download $base/$1"
    else
        die "neither curl nor wget is installed"
    fi
}

sha256() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    else
        die "neither sha256sum nor shasum is installed: cannot verify the download"
    fi
}

say "installing oauth-mux $version ($os/$arch) into $bindir"
fetch SHA256SUMS
fetch "$archive"
want=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1; exit }' "$tmp/SHA256SUMS")
[ -n "$want" ] || die "SHA256SUMS does not list $archive"
got=$(sha256 "$tmp/$archive")
if [ "$got" != "$want" ]; then
    die "checksum mismatch for $archive: SHA256SUMS says $want, the download is $got; refusing to install"
fi

mkdir -p "$tmp/x"
tar -xzf "$tmp/$archive" -C "$tmp/x"
[ -f "$tmp/x/oauth-mux" ] || die "$archive holds no oauth-mux binary"
mkdir -p "$bindir"
# Replace by rename, so a running oauth-mux keeps its file.
cp "$tmp/x/oauth-mux" "$bindir/.oauth-mux.new.$$"
chmod 0755 "$bindir/.oauth-mux.new.$$"
mv -f "$bindir/.oauth-mux.new.$$" "$bindir/oauth-mux"
if [ -d "$tmp/x/man" ] && [ "$bindir" = "$prefix/bin" ]; then
    mkdir -p "$prefix/share/man/man1" && cp "$tmp/x/man/oauth-mux.1.gz" "$prefix/share/man/man1/" 2>/dev/null || true
fi
say "installed $("$bindir/oauth-mux" version)"
case ":$PATH:" in
*":$bindir:"*) ;;
*) say "add $bindir to your PATH (export PATH=\"$bindir:\$PATH\")" ;;
esac
say "completions: oauth-mux completions bash|zsh|fish (see the README)"

# oauth-mux tasks. Each recipe is one command you can also type yourself.
# Install just with `npm install -g rust-just`, `cargo install just` or your package manager.

set shell := ["bash", "-euo", "pipefail", "-c"]

staticcheck := "go run honnef.co/go/tools/cmd/staticcheck@v0.8.2"
goreleaser := "go run github.com/goreleaser/goreleaser/v2@v2.15.1"

# list the recipes
default:
    @just --list

# build the binary into ./bin/oauth-mux (static: no libc to load at start-up)
build:
    CGO_ENABLED=0 go build -o bin/oauth-mux ./cmd/oauth-mux

# every test, with the race detector (what CI runs)
test:
    go test -race ./...

# vet, staticcheck and the tests
check:
    go vet ./... && {{staticcheck}} ./... && go test -race ./...

# the testscript end-to-end suites only (cmd/oauth-mux/testdata/script/*.txtar)
e2e:
    go test -run '^TestScripts$' -count=1 ./cmd/oauth-mux

# the benchmarks
bench:
    go test -run '^$' -bench . -benchmem ./...

# run every fuzz target for `time` each (go test -list Fuzz ./... lists them)
fuzz time="30s":
    grep -r --include='*_test.go' -o '^func Fuzz[A-Za-z0-9_]*' . | sort | while IFS=: read -r file fn; do go test -run '^$' -fuzz "^${fn#func }\$" -fuzztime {{time}} "$(dirname "$file")"; done

# the bundled demo: a failover between two fake accounts, no network
demo:
    go run ./cmd/oauth-mux demo

# formatting, vet and staticcheck
lint:
    test -z "$(gofmt -l .)" && go vet ./... && {{staticcheck}} ./...

# stage a release under dist/out/vVERSION/ offline: archives, SHA256SUMS, install.sh, deb/rpm, Homebrew, npm
release-local VERSION:
    OMUX_GORELEASER='{{goreleaser}}' bash scripts/release-local.sh {{VERSION}}

# install the staged VERSION every way a user does (install.sh, npm, dpkg, rpm) into temp prefixes and run it
release-proof VERSION:
    bash scripts/release-proof.sh {{VERSION}}

# build VERSION again from the same commit and require every staged file to come out the same
release-repro VERSION:
    OMUX_GORELEASER='{{goreleaser}}' bash scripts/release-repro.sh {{VERSION}}

# write dist/out/vVERSION/handoff/HANDOFF.md: what a maintainer uploads where, with checksums
release-handoff VERSION:
    bash scripts/release-handoff.sh {{VERSION}}

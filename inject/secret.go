package inject

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/providers"
	"github.com/oauth-mux/oauth-mux/state"
)

// MaxSecretSize caps what any backend may return (SPEC §8.1 "file (4 MiB cap)"); a credential is a few
// KiB, so anything larger is a wrong path, not a secret.
const MaxSecretSize = 4 << 20

// DefaultCommandTimeout bounds the command, keychain and sops backends when Env.Timeout is zero.
const DefaultCommandTimeout = 30 * time.Second

// Env is the world a backend reads from. cmd hands in what it was given, so tests and nested runs do
// not depend on the process's own environment.
type Env struct {
	// Environ is the environment the env backend reads and the command backends run with; nil means
	// os.Environ().
	Environ omux.Environ
	// Stdin is the stdin backend's source; nil means os.Stdin. It is read to EOF once per process and
	// the result memoized (failover reads the same account again, and stdin cannot be read twice).
	// A stdin secret therefore conflicts with replaying stdin to the child: the child gets nothing.
	Stdin io.Reader
	// Timeout bounds a backend that runs a program; 0 means DefaultCommandTimeout.
	Timeout time.Duration
}

func (e Env) environ() omux.Environ {
	if e.Environ == nil {
		return os.Environ()
	}
	return e.Environ
}

func (e Env) lookup(name string) (string, bool) { return e.environ().Lookup(name) }

// Secret is the raw credential a backend returned, with what write-back and expiry need to know.
// Its String and GoString never show the bytes, so a stray %v cannot leak it.
type Secret struct {
	Backend string
	Data    []byte
	// Path is the file behind a file, sops or age secret ("" otherwise).
	Path string
	// ModTime is the file's modification time, or the time of the read for backends without a file;
	// it anchors expires_in.
	ModTime time.Time
	// Mode is the file's permission bits (file backend), kept when the secret is replaced.
	Mode fs.FileMode
}

func (s Secret) String() string {
	return fmt.Sprintf("inject.Secret{backend=%s, %d bytes}", s.Backend, len(s.Data))
}

// GoString keeps %#v as quiet as %v.
func (s Secret) GoString() string { return s.String() }

// ReadSecret reads s's credential from its backend (SPEC §8.1). Every failure is a *SecretError
// (exit 202) naming the backend and what is missing.
func ReadSecret(ctx context.Context, s config.Secret, env Env) (Secret, error) {
	switch s.Backend {
	case config.BackendFile:
		return readFile(s.Path)
	case config.BackendEnv:
		return readEnv(s.Variable, env)
	case config.BackendCommand:
		return readCommand(ctx, s.Command, env)
	case config.BackendStdin:
		return readStdin(env)
	case config.BackendKeychain:
		return readKeychain(ctx, s, env)
	case config.BackendSops:
		return readSops(ctx, s, env)
	case config.BackendAge:
		return readAge(s)
	case "":
		return Secret{}, secretErr("(none)", "the account's secret has no backend")
	default:
		return Secret{}, secretErr(s.Backend, "unknown backend")
	}
}

// WriteSecret replaces a file secret atomically, keeping its permission bits (0600 for a new file).
// Other backends are read-only (config.Secret.WriteCapability) and return a *SecretError.
func WriteSecret(s config.Secret, data []byte) error {
	if s.WriteCapability() != config.WriteReplaceFile {
		return secretErr(s.Backend, "backend is read-only; oauth-mux cannot write a credential back to it")
	}
	if s.Path == "" {
		return secretErr(s.Backend, "no path set")
	}
	if len(data) > MaxSecretSize {
		return secretErr(s.Backend, "credential of %d bytes is over the %d byte cap", len(data), MaxSecretSize)
	}
	mode := fs.FileMode(0o600)
	if fi, err := os.Stat(s.Path); err == nil {
		mode = fi.Mode().Perm()
	}
	if err := state.WriteFileAtomic(s.Path, data, mode); err != nil {
		return &SecretError{Backend: s.Backend, Msg: "cannot replace the credential file", Err: err}
	}
	return nil
}

func readFile(path string) (Secret, error) {
	const b = config.BackendFile
	if path == "" {
		return Secret{}, secretErr(b, "no path set")
	}
	data, fi, err := readCapped(path)
	if err != nil {
		return Secret{}, fileErr(b, path, err)
	}
	return Secret{Backend: b, Data: data, Path: path, ModTime: fi.ModTime(), Mode: fi.Mode().Perm()}, nil
}

var errTooLarge = errors.New("too large")

// readCapped reads at most MaxSecretSize bytes from a regular file.
func readCapped(path string) ([]byte, fs.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if fi.IsDir() {
		return nil, nil, errors.New("is a directory")
	}
	data, err := readAllCapped(f)
	return data, fi, err
}

func readAllCapped(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSecretSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSecretSize {
		return nil, errTooLarge
	}
	return data, nil
}

func fileErr(backend, path string, err error) *SecretError {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return secretErr(backend, "file %s does not exist", path)
	case errors.Is(err, fs.ErrPermission):
		return secretErr(backend, "file %s is not readable (permission denied)", path)
	case errors.Is(err, errTooLarge):
		return secretErr(backend, "file %s is larger than the %d byte cap", path, MaxSecretSize)
	}
	// A PathError carries the path and errno text only, never content.
	return &SecretError{Backend: backend, Msg: "cannot read " + path, Err: unwrapPath(err)}
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func readEnv(name string, env Env) (Secret, error) {
	const b = config.BackendEnv
	if name == "" {
		return Secret{}, secretErr(b, "no variable set")
	}
	v, ok := env.lookup(name)
	if !ok {
		return Secret{}, secretErr(b, "variable %s is not set", name)
	}
	if v == "" {
		return Secret{}, secretErr(b, "variable %s is empty", name)
	}
	return Secret{Backend: b, Data: []byte(v), ModTime: time.Now()}, nil
}

// stdinCache memoizes the stdin backend per reader: the process's stdin can be read once only.
var stdinCache struct {
	sync.Mutex
	m map[io.Reader]stdinResult
}

type stdinResult struct {
	data []byte
	at   time.Time
	err  error
}

func readStdin(env Env) (Secret, error) {
	const b = config.BackendStdin
	r := env.Stdin
	if r == nil {
		r = os.Stdin
	}
	res := func() stdinResult {
		t := reflect.TypeOf(r)
		if !t.Comparable() {
			d, err := readAllCapped(r)
			return stdinResult{d, time.Now(), err}
		}
		stdinCache.Lock()
		defer stdinCache.Unlock()
		if res, ok := stdinCache.m[r]; ok {
			return res
		}
		d, err := readAllCapped(r)
		res := stdinResult{d, time.Now(), err}
		if stdinCache.m == nil {
			stdinCache.m = map[io.Reader]stdinResult{}
		}
		stdinCache.m[r] = res
		return res
	}()
	switch {
	case errors.Is(res.err, errTooLarge):
		return Secret{}, secretErr(b, "stdin is larger than the %d byte cap", MaxSecretSize)
	case res.err != nil:
		return Secret{}, &SecretError{Backend: b, Msg: "cannot read stdin", Err: unwrapPath(res.err)}
	}
	data := trimNewline(res.data)
	if len(data) == 0 {
		return Secret{}, secretErr(b, "stdin was empty")
	}
	return Secret{Backend: b, Data: bytes.Clone(data), ModTime: res.at}, nil
}

func trimNewline(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

// runErr says why a secret program failed without quoting a byte of what it printed: a program that
// fails half way may already have written the secret to either stream.
type runErr struct {
	program string
	missing bool
	timeout bool
	status  string
}

func (e runErr) text() string {
	switch {
	case e.missing:
		return fmt.Sprintf("program %s not found on PATH", e.program)
	case e.timeout:
		return fmt.Sprintf("%s timed out", e.program)
	default:
		return fmt.Sprintf("%s %s", e.program, e.status)
	}
}

// run executes argv with stdin closed, stderr discarded and stdout capped, and returns stdout.
func run(ctx context.Context, argv []string, env Env) ([]byte, *runErr) {
	timeout := env.Timeout
	if timeout <= 0 {
		timeout = DefaultCommandTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	environ := env.environ()
	prog := argv[0]
	name := filepath.Base(prog)
	// The PATH of the environment the secret command runs in, not the process's.
	pathEnv, _ := env.lookup("PATH")
	path, err := providers.LookPath(prog, pathEnv)
	if err != nil {
		return nil, &runErr{program: name, missing: true}
	}
	cmd := exec.CommandContext(ctx, path, argv[1:]...)
	cmd.Env = environ
	cmd.Stdin = nil // /dev/null: a secret program must never wait on the user's terminal
	var out cappedBuffer
	cmd.Stdout = &out
	cmd.Stderr = nil
	// A grandchild that inherited stdout must not keep us past the deadline.
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return nil, &runErr{program: name, timeout: true}
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, &runErr{program: name, status: exitStatus(ee)}
		}
		if out.over {
			return nil, &runErr{program: name, status: fmt.Sprintf("wrote more than %d bytes", MaxSecretSize)}
		}
		return nil, &runErr{program: name, status: "could not run: " + unwrapPath(err).Error()}
	}
	if out.over {
		return nil, &runErr{program: name, status: fmt.Sprintf("wrote more than %d bytes", MaxSecretSize)}
	}
	return out.b.Bytes(), nil
}

func exitStatus(ee *exec.ExitError) string {
	if ee.ProcessState != nil && !ee.ProcessState.Exited() {
		return "was killed by a signal"
	}
	return fmt.Sprintf("exited with status %d", ee.ExitCode())
}

type cappedBuffer struct {
	b    bytes.Buffer
	over bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if c.b.Len()+len(p) > MaxSecretSize {
		c.over = true
		return 0, errTooLarge
	}
	return c.b.Write(p)
}

func readCommand(ctx context.Context, argv []string, env Env) (Secret, error) {
	const b = config.BackendCommand
	if len(argv) == 0 || argv[0] == "" {
		return Secret{}, secretErr(b, "no command set")
	}
	out, rerr := run(ctx, argv, env)
	if rerr != nil {
		return Secret{}, secretErr(b, "%s", rerr.text())
	}
	out = trimNewline(out)
	if len(out) == 0 {
		return Secret{}, secretErr(b, "%s printed nothing", filepath.Base(argv[0]))
	}
	return Secret{Backend: b, Data: out, ModTime: time.Now()}, nil
}

func readKeychain(ctx context.Context, s config.Secret, env Env) (Secret, error) {
	const b = config.BackendKeychain
	if s.Service == "" || s.Account == "" {
		return Secret{}, secretErr(b, "service and account must both be set")
	}
	var argv []string
	switch runtime.GOOS {
	case "darwin":
		argv = []string{"security", "find-generic-password", "-s", s.Service, "-a", s.Account, "-w"}
	case "linux", "freebsd", "openbsd", "netbsd":
		argv = []string{"secret-tool", "lookup", "service", s.Service, "account", s.Account}
	default:
		return Secret{}, secretErr(b, "not supported on %s", runtime.GOOS)
	}
	out, rerr := run(ctx, argv, env)
	if rerr != nil {
		if !rerr.missing && !rerr.timeout {
			return Secret{}, secretErr(b, "no entry for service %q account %q (%s)", s.Service, s.Account, rerr.text())
		}
		return Secret{}, secretErr(b, "%s", rerr.text())
	}
	out = trimNewline(out)
	if len(out) == 0 {
		// secret-tool exits 0 with no output for some locked-collection cases.
		return Secret{}, secretErr(b, "no entry for service %q account %q", s.Service, s.Account)
	}
	return Secret{Backend: b, Data: out, ModTime: time.Now()}, nil
}

func readSops(ctx context.Context, s config.Secret, env Env) (Secret, error) {
	const b = config.BackendSops
	if s.Path == "" {
		return Secret{}, secretErr(b, "no path set")
	}
	fi, err := os.Stat(s.Path)
	if err != nil {
		return Secret{}, fileErr(b, s.Path, err)
	}
	argv := []string{"sops", "--decrypt"}
	if s.KeyPath != "" {
		argv = append(argv, "--output-type", "json")
	}
	argv = append(argv, s.Path)
	out, rerr := run(ctx, argv, env)
	if rerr != nil {
		return Secret{}, secretErr(b, "cannot decrypt %s: %s", s.Path, rerr.text())
	}
	if s.KeyPath != "" {
		v, err := jsonPath(out, s.KeyPath)
		if err != nil {
			return Secret{}, secretErr(b, "key_path %q in %s: %s", s.KeyPath, s.Path, err)
		}
		out = v
	} else {
		out = trimNewline(out)
	}
	if len(out) == 0 {
		return Secret{}, secretErr(b, "%s decrypted to nothing", s.Path)
	}
	return Secret{Backend: b, Data: out, Path: s.Path, ModTime: fi.ModTime(), Mode: fi.Mode().Perm()}, nil
}

// jsonPath picks a dot path (providers.WalkPath) out of a JSON document: a string value yields its text, anything else its
// JSON. Errors describe the shape, never a value.
func jsonPath(doc []byte, path string) ([]byte, error) {
	var v any
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil, errors.New("decrypted document is not JSON")
	}
	v, err := providers.WalkPath(v, path)
	if err != nil {
		return nil, err
	}
	if s, ok := v.(string); ok {
		return []byte(s), nil
	}
	return json.Marshal(v)
}

const agePrefix = "AGE-SECRET-KEY-"

func readAge(s config.Secret) (Secret, error) {
	const b = config.BackendAge
	if s.Path == "" {
		return Secret{}, secretErr(b, "no path set")
	}
	if s.Identity == "" {
		return Secret{}, secretErr(b, "no identity set")
	}
	ids, serr := ageIdentities(s.Identity)
	if serr != nil {
		return Secret{}, serr
	}
	raw, fi, err := readCapped(s.Path)
	if err != nil {
		return Secret{}, fileErr(b, s.Path, err)
	}
	var src io.Reader = bytes.NewReader(raw)
	if bytes.HasPrefix(bytes.TrimLeft(raw, " \t\r\n"), []byte(armor.Header)) {
		src = armor.NewReader(bytes.NewReader(bytes.TrimLeft(raw, " \t\r\n")))
	}
	r, err := age.Decrypt(src, ids...)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return Secret{}, secretErr(b, "no identity matched %s", s.Path)
		}
		return Secret{}, secretErr(b, "%s is not a readable age file", s.Path)
	}
	data, err := readAllCapped(r)
	if errors.Is(err, errTooLarge) {
		return Secret{}, secretErr(b, "%s decrypts to more than %d bytes", s.Path, MaxSecretSize)
	}
	if err != nil {
		return Secret{}, secretErr(b, "%s is damaged (decryption failed)", s.Path)
	}
	if len(data) == 0 {
		return Secret{}, secretErr(b, "%s decrypted to nothing", s.Path)
	}
	return Secret{Backend: b, Data: data, Path: s.Path, ModTime: fi.ModTime(), Mode: fi.Mode().Perm()}, nil
}

// ageIdentities takes an inline AGE-SECRET-KEY-… or a file of identities. Parse errors are reported by
// line number only: age's own messages may quote the malformed key.
func ageIdentities(spec string) ([]age.Identity, *SecretError) {
	const b = config.BackendAge
	spec = strings.TrimSpace(spec)
	if strings.HasPrefix(strings.ToUpper(spec), agePrefix) {
		id, err := age.ParseX25519Identity(spec)
		if err != nil {
			return nil, secretErr(b, "inline identity is not a valid AGE-SECRET-KEY")
		}
		return []age.Identity{id}, nil
	}
	raw, _, err := readCapped(spec)
	if err != nil {
		return nil, fileErr(b, spec, err)
	}
	var ids []age.Identity
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64<<10), MaxSecretSize)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, err := age.ParseX25519Identity(line)
		if err != nil {
			return nil, secretErr(b, "identity file %s: line %d is not an AGE-SECRET-KEY", spec, n)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, secretErr(b, "identity file %s holds no identity", spec)
	}
	return ids, nil
}

package inject

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/testkit/fakecli"
)

// canary is planted in every secret; no error text may contain it.
const canary = "omux-canary-7f3a9c1e5b"

type exitCoder interface{ ExitCode() int }

func wantSecretErr(t *testing.T, err error, contains string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error containing %q, got nil", contains)
	}
	if strings.Contains(err.Error(), canary) {
		t.Fatalf("error leaks the secret: %v", err)
	}
	var ec exitCoder
	if !errors.As(err, &ec) || ec.ExitCode() != 202 {
		t.Fatalf("error %v: want ExitCode 202", err)
	}
	if !strings.Contains(err.Error(), contains) {
		t.Fatalf("error %q does not contain %q", err, contains)
	}
}

func testEnv(vars ...string) Env {
	return Env{Environ: append([]string{"PATH=" + os.Getenv("PATH")}, vars...)}
}

func TestFileBackend(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "cred.json")
	if err := os.WriteFile(p, []byte(`{"access_token":"`+canary+`"}`), 0o640); err != nil {
		t.Fatal(err)
	}
	s, err := ReadSecret(context.Background(), config.Secret{Backend: "file", Path: p}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(s.Data, []byte(canary)) || s.Path != p || s.Mode != 0o640 || s.ModTime.IsZero() {
		t.Fatalf("unexpected secret metadata: %v path=%s mode=%v", s, s.Path, s.Mode)
	}
	for _, str := range []string{s.String(), s.GoString()} {
		if strings.Contains(str, canary) {
			t.Fatalf("String leaks: %s", str)
		}
	}

	_, err = ReadSecret(context.Background(), config.Secret{Backend: "file", Path: filepath.Join(dir, "nope")}, Env{})
	wantSecretErr(t, err, "secret backend file: file "+filepath.Join(dir, "nope")+" does not exist")
	_, err = ReadSecret(context.Background(), config.Secret{Backend: "file", Path: dir}, Env{})
	wantSecretErr(t, err, "secret backend file")
	_, err = ReadSecret(context.Background(), config.Secret{Backend: "file"}, Env{})
	wantSecretErr(t, err, "no path set")
}

func TestFileBackendCap(t *testing.T) {
	dir := t.TempDir()
	exact := filepath.Join(dir, "exact")
	big := filepath.Join(dir, "big")
	for p, n := range map[string]int64{exact: MaxSecretSize, big: MaxSecretSize + 1} {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		f.Truncate(n)
		f.Close()
	}
	s, err := ReadSecret(context.Background(), config.Secret{Backend: "file", Path: exact}, Env{})
	if err != nil || len(s.Data) != MaxSecretSize {
		t.Fatalf("4 MiB exactly must read: %v (%d bytes)", err, len(s.Data))
	}
	_, err = ReadSecret(context.Background(), config.Secret{Backend: "file", Path: big}, Env{})
	wantSecretErr(t, err, "larger than the 4194304 byte cap")
}

func TestEnvBackend(t *testing.T) {
	env := testEnv("OMUX_X=first", "OMUX_X="+canary, "OMUX_EMPTY=")
	s, err := ReadSecret(context.Background(), config.Secret{Backend: "env", Variable: "OMUX_X"}, env)
	if err != nil || string(s.Data) != canary {
		t.Fatalf("last assignment must win: %v", err)
	}
	_, err = ReadSecret(context.Background(), config.Secret{Backend: "env", Variable: "OMUX_MISSING"}, env)
	wantSecretErr(t, err, "secret backend env: variable OMUX_MISSING is not set")
	_, err = ReadSecret(context.Background(), config.Secret{Backend: "env", Variable: "OMUX_EMPTY"}, env)
	wantSecretErr(t, err, "variable OMUX_EMPTY is empty")
}

func TestCommandBackend(t *testing.T) {
	ctx := context.Background()
	env := testEnv("SECRET_VALUE=" + canary)
	s, err := ReadSecret(ctx, config.Secret{Backend: "command", Command: []string{"sh", "-c", `printf '%s\n\n' "$SECRET_VALUE"`}}, env)
	if err != nil {
		t.Fatal(err)
	}
	if string(s.Data) != canary+"\n" {
		t.Fatalf("exactly one trailing newline must be stripped, got %q", s.Data)
	}
	// Stdin is closed: a program reading it gets EOF at once instead of the user's terminal.
	s, err = ReadSecret(ctx, config.Secret{Backend: "command", Command: []string{"sh", "-c", `cat; printf x`}}, env)
	if err != nil || string(s.Data) != "x" {
		t.Fatalf("stdin must be empty: %v %q", err, s.Data)
	}

	_, err = ReadSecret(ctx, config.Secret{Backend: "command", Command: []string{"sh", "-c", `echo "$SECRET_VALUE"; echo "$SECRET_VALUE" >&2; exit 3`}}, env)
	wantSecretErr(t, err, "secret backend command: sh exited with status 3")

	_, err = ReadSecret(ctx, config.Secret{Backend: "command", Command: []string{"omux-no-such-program"}}, env)
	wantSecretErr(t, err, "program omux-no-such-program not found on PATH")

	env.Timeout = 200 * time.Millisecond
	start := time.Now()
	_, err = ReadSecret(ctx, config.Secret{Backend: "command", Command: []string{"sh", "-c", `echo "$SECRET_VALUE"; sleep 10`}}, env)
	wantSecretErr(t, err, "timed out")
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("timeout took %v", d)
	}

	_, err = ReadSecret(ctx, config.Secret{Backend: "command", Command: []string{"true"}}, testEnv())
	wantSecretErr(t, err, "printed nothing")
	_, err = ReadSecret(ctx, config.Secret{Backend: "command"}, testEnv())
	wantSecretErr(t, err, "no command set")
}

func TestCommandUsesEnvPath(t *testing.T) {
	dir := t.TempDir()
	if err := fakecli.WriteExecutable(filepath.Join(dir, "omux-secret-helper"), []byte("#!/bin/sh\necho "+canary+"\n")); err != nil {
		t.Fatal(err)
	}
	s, err := ReadSecret(context.Background(), config.Secret{Backend: "command", Command: []string{"omux-secret-helper"}},
		Env{Environ: []string{"PATH=" + dir + ":" + os.Getenv("PATH")}})
	if err != nil || string(s.Data) != canary {
		t.Fatalf("the helper must be found on Env's PATH: %v", err)
	}
}

func TestStdinBackend(t *testing.T) {
	r := bytes.NewReader([]byte(canary + "\n"))
	env := Env{Stdin: r}
	for i := 0; i < 2; i++ {
		s, err := ReadSecret(context.Background(), config.Secret{Backend: "stdin"}, env)
		if err != nil || string(s.Data) != canary {
			t.Fatalf("read %d: %v %q", i, err, s.Data)
		}
	}
	_, err := ReadSecret(context.Background(), config.Secret{Backend: "stdin"}, Env{Stdin: bytes.NewReader(nil)})
	wantSecretErr(t, err, "secret backend stdin: stdin was empty")
}

func ageEncrypt(t *testing.T, r age.Recipient, plain []byte, armored bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	var dst = &buf
	var aw interface {
		Write([]byte) (int, error)
		Close() error
	}
	if armored {
		aw = armor.NewWriter(dst)
	}
	var w interface {
		Write([]byte) (int, error)
		Close() error
	}
	var err error
	if armored {
		w, err = age.Encrypt(aw, r)
	} else {
		w, err = age.Encrypt(dst, r)
	}
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	w.Close()
	if armored {
		aw.Close()
	}
	return buf.Bytes()
}

func TestAgeBackend(t *testing.T) {
	dir := t.TempDir()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := age.GenerateX25519Identity()
	plain := []byte(`{"access_token":"` + canary + `"}`)
	enc := filepath.Join(dir, "cred.age")
	os.WriteFile(enc, ageEncrypt(t, id.Recipient(), plain, false), 0o600)
	armored := filepath.Join(dir, "cred.age.asc")
	os.WriteFile(armored, ageEncrypt(t, id.Recipient(), plain, true), 0o600)
	idFile := filepath.Join(dir, "keys.txt")
	os.WriteFile(idFile, []byte("# created by a test\n"+other.String()+"\n"+id.String()+"\n"), 0o600)

	ctx := context.Background()
	for _, c := range []struct{ path, identity string }{{enc, id.String()}, {armored, id.String()}, {enc, idFile}} {
		s, err := ReadSecret(ctx, config.Secret{Backend: "age", Path: c.path, Identity: c.identity}, Env{})
		if err != nil || !bytes.Equal(s.Data, plain) || s.Path != c.path {
			t.Fatalf("age %s: %v", filepath.Base(c.path), err)
		}
	}
	_, err = ReadSecret(ctx, config.Secret{Backend: "age", Path: enc, Identity: other.String()}, Env{})
	wantSecretErr(t, err, "secret backend age: no identity matched")
	if strings.Contains(err.Error(), other.String()) {
		t.Fatal("error leaks the identity")
	}
	_, err = ReadSecret(ctx, config.Secret{Backend: "age", Path: enc, Identity: "AGE-SECRET-KEY-1" + canary}, Env{})
	wantSecretErr(t, err, "inline identity is not a valid AGE-SECRET-KEY")
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("# c\n"+canary+"\n"), 0o600)
	_, err = ReadSecret(ctx, config.Secret{Backend: "age", Path: enc, Identity: bad}, Env{})
	wantSecretErr(t, err, "line 2 is not an AGE-SECRET-KEY")
	_, err = ReadSecret(ctx, config.Secret{Backend: "age", Path: idFile, Identity: id.String()}, Env{})
	wantSecretErr(t, err, "is not a readable age file")
	_, err = ReadSecret(ctx, config.Secret{Backend: "age", Path: enc}, Env{})
	wantSecretErr(t, err, "no identity set")
}

func TestKeychainBackend(t *testing.T) {
	// Without the tool on PATH the error says which one is missing.
	_, err := ReadSecret(context.Background(), config.Secret{Backend: "keychain", Service: "svc", Account: "acct"}, Env{Environ: []string{"PATH=" + t.TempDir()}})
	wantSecretErr(t, err, "not found on PATH")
	_, err = ReadSecret(context.Background(), config.Secret{Backend: "keychain", Service: "svc"}, Env{})
	wantSecretErr(t, err, "service and account must both be set")
	if _, err := exec.LookPath("secret-tool"); err != nil {
		t.Skip("secret-tool is not installed: the real keychain lookup is not exercised here")
	}
	_, err = ReadSecret(context.Background(), config.Secret{Backend: "keychain", Service: "omux-test-none", Account: "none"}, testEnv())
	wantSecretErr(t, err, "secret backend keychain")
}

func TestSopsBackend(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "cred.enc.json")
	os.WriteFile(p, []byte(`{}`), 0o600)
	_, err := ReadSecret(context.Background(), config.Secret{Backend: "sops", Path: p}, Env{Environ: []string{"PATH=" + t.TempDir()}})
	wantSecretErr(t, err, "program sops not found on PATH")
	_, err = ReadSecret(context.Background(), config.Secret{Backend: "sops", Path: filepath.Join(dir, "none")}, Env{})
	wantSecretErr(t, err, "does not exist")

	// A stand-in sops on PATH exercises key_path without the real tool.
	bin := t.TempDir()
	fakecli.WriteExecutable(filepath.Join(bin, "sops"), []byte("#!/bin/sh\nprintf '%s' '{\"a\":{\"b\":\""+canary+"\",\"o\":{\"x\":1},\"l\":[\"first\",{\"v\":\"second\"}]}}'\n"))
	env := Env{Environ: []string{"PATH=" + bin + ":" + os.Getenv("PATH")}}
	s, err := ReadSecret(context.Background(), config.Secret{Backend: "sops", Path: p, KeyPath: "a.b"}, env)
	if err != nil || string(s.Data) != canary {
		t.Fatalf("key_path string: %v %q", err, s.Data)
	}
	s, err = ReadSecret(context.Background(), config.Secret{Backend: "sops", Path: p, KeyPath: "a.o"}, env)
	if err != nil || string(s.Data) != `{"x":1}` {
		t.Fatalf("key_path object: %v %q", err, s.Data)
	}
	_, err = ReadSecret(context.Background(), config.Secret{Backend: "sops", Path: p, KeyPath: "a.c"}, env)
	wantSecretErr(t, err, `no key "c"`)
	// Arrays by index, as a credential's JSON paths are read (providers.WalkPath).
	s, err = ReadSecret(context.Background(), config.Secret{Backend: "sops", Path: p, KeyPath: "a.l.1.v"}, env)
	if err != nil || string(s.Data) != "second" {
		t.Fatalf("key_path through an array: %v %q", err, s.Data)
	}
	_, err = ReadSecret(context.Background(), config.Secret{Backend: "sops", Path: p, KeyPath: "a.l.7"}, env)
	wantSecretErr(t, err, `no index "7" in an array of 2`)
	if _, err := exec.LookPath("sops"); err != nil {
		t.Skip("sops is not installed: a real decryption is not exercised here")
	}
}

func TestUnknownBackend(t *testing.T) {
	_, err := ReadSecret(context.Background(), config.Secret{Backend: "vault"}, Env{})
	wantSecretErr(t, err, "secret backend vault: unknown backend")
}

func TestWriteSecret(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "cred.json")
	os.WriteFile(p, []byte("old"), 0o640)
	if err := WriteSecret(config.Secret{Backend: "file", Path: p}, []byte("new")); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	b, _ := os.ReadFile(p)
	if string(b) != "new" || fi.Mode().Perm() != 0o640 {
		t.Fatalf("got %q mode %v", b, fi.Mode().Perm())
	}
	err := WriteSecret(config.Secret{Backend: "env", Variable: "X"}, []byte(canary))
	wantSecretErr(t, err, "read-only")
}

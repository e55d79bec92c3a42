package inject

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/providers"
	"github.com/oauth-mux/oauth-mux/state"
)

// WriteBackAction says what happened to a credential a CLI rewrote in its managed dir.
type WriteBackAction string

const (
	// WriteBackNone: the account has no managed dir, or there was no earlier credential in it.
	WriteBackNone WriteBackAction = ""
	// WriteBackUnchanged: the CLI left the credential as oauth-mux wrote it.
	WriteBackUnchanged WriteBackAction = "unchanged"
	// WriteBackWritten: the CLI's credential replaced the account's secret.
	WriteBackWritten WriteBackAction = "written"
	// WriteBackReadOnly: the CLI changed it, but the secret's backend cannot be written. Prepare keeps
	// launching with the CLI's copy (its refresh token may have rotated the secret's one dead).
	WriteBackReadOnly WriteBackAction = "read_only"
	// WriteBackKeptSecret: both the CLI and the secret's owner changed the credential and the secret
	// is newer; the managed copy is replaced by it.
	WriteBackKeptSecret WriteBackAction = "kept_newer_secret"
	// WriteBackInvalid: the CLI left something that does not parse as a credential; it is ignored.
	WriteBackInvalid WriteBackAction = "invalid"
	// WriteBackTemplate: the managed file was rendered from credential_template, so its shape is not
	// the secret's and it cannot be written back.
	WriteBackTemplate WriteBackAction = "template"
)

// WriteBackResult reports a write-back. Its fields hold no token and no path, so the caller may put
// them in an event (token_refresh-like rows carry Capability as writeback_capability).
type WriteBackResult struct {
	Action WriteBackAction
	// Capability is the secret's write capability (config.WriteReplaceFile or config.WriteReadOnly).
	Capability string
	// Conflict is true when the secret had changed on its side too; the newer one was kept.
	Conflict bool
	// Reason is one lowercase line for stderr.
	Reason string
	// PoolConflict is true when the CLI rotated a shared pool's credential that another machine
	// had rotated too: the account is suspect until a run succeeds. PoolWarning says what the pool
	// did not take.
	PoolConflict bool
	PoolWarning  string
}

// Warning is the line to print on stderr, or "" when nothing needs saying.
func (r WriteBackResult) Warning() string {
	return joinWarnings(r.actionWarning(), r.PoolWarning)
}

func (r WriteBackResult) actionWarning() string {
	switch r.Action {
	case WriteBackReadOnly, WriteBackKeptSecret, WriteBackInvalid, WriteBackTemplate:
		return r.Reason
	case WriteBackWritten:
		if r.Conflict {
			return r.Reason
		}
	}
	return ""
}

// lockWait bounds waiting for the account lock (SPEC §4.4).
const lockWait = 30 * time.Second

// base is what Prepare last wrote into a managed dir, kept beside it (<account>.base, outside the dir
// the CLI sees) as two sha256 sums: the managed file's and the secret's it came from. It lets a later
// run tell which side changed a credential — a three-way comparison — instead of trusting mtimes,
// which a keychain or env secret does not have.
type base struct {
	managed, secret [32]byte
	template        bool
}

func basePath(home string) string { return home + ".base" }

func writeBaseFull(home string, b base) error {
	s := fmt.Sprintf("managed %x\nsecret %x\n", b.managed, b.secret)
	if b.template {
		s += "template\n"
	}
	// Most runs find the record as they left it: skip the fsynced rewrite then.
	if cur, err := os.ReadFile(basePath(home)); err == nil && string(cur) == s {
		return nil
	}
	if err := state.WriteFileAtomic(basePath(home), []byte(s), 0o600); err != nil {
		return fmt.Errorf("managed credential record: %w", err)
	}
	return nil
}

func writeBase(home string, managed [32]byte) error {
	return writeBaseFull(home, base{managed: managed, secret: managed})
}

func readBase(home string) (base, bool) {
	data, err := os.ReadFile(basePath(home))
	if err != nil {
		return base{}, false
	}
	return parseBase(data)
}

// parseBase reads a base record; ok is false unless both sums are present and well formed.
func parseBase(data []byte) (b base, ok bool) {
	var got int
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		k, v, _ := strings.Cut(line, " ")
		var dst *[32]byte
		switch k {
		case "managed":
			dst = &b.managed
		case "secret":
			dst = &b.secret
		case "template":
			b.template = true
			continue
		default:
			continue
		}
		if h, err := hex.DecodeString(v); err == nil && len(h) == 32 {
			copy(dst[:], h)
			got++
		}
	}
	return b, got == 2
}

func readManaged(path string) ([]byte, time.Time, bool) {
	data, fi, err := readCapped(path)
	if err != nil {
		return nil, time.Time{}, false
	}
	return data, fi.ModTime(), true
}

// WriteBackPending handles, before a run, a credential that an earlier run's CLI rewrote in the
// managed dir (for `env`, whose child outlives oauth-mux, this is the only moment): when it changed
// and the secret did not, it is written back (file backend) or, read-only, used in place of the
// secret. Prepare calls it itself; it is exported for commands that only want the write-back.
func WriteBackPending(ctx context.Context, req Request) (WriteBackResult, error) {
	if req.configDirEnv() == "" || req.AccountConfig.ConfigDir != "" || req.StateDir == "" {
		return WriteBackResult{}, nil
	}
	sec, err := ReadSecret(ctx, req.AccountConfig.Secret, req.secretEnv())
	if err != nil {
		return WriteBackResult{}, err
	}
	home := state.HomesDir(req.StateDir, req.Provider, req.Account)
	path := filepath.Join(home, filepath.FromSlash(req.Definition.CredentialFilename()))
	res, _, err := reconcilePending(ctx, req, sec, home, path)
	return res, err
}

// reconcilePending returns the credential the run should use: the secret, or the CLI's newer copy.
func reconcilePending(ctx context.Context, req Request, sec Secret, home, credPath string) (WriteBackResult, Secret, error) {
	capab := req.AccountConfig.Secret.WriteCapability()
	res := WriteBackResult{Capability: capab}
	managed, mtime, ok := readManaged(credPath)
	if !ok {
		return res, sec, nil
	}
	b, haveBase := readBase(home)
	sum := sha256.Sum256(managed)
	if bytes.Equal(managed, sec.Data) {
		res.Action = WriteBackUnchanged
		return res, sec, nil
	}
	if haveBase && b.template {
		res.Action = WriteBackUnchanged
		if sum != b.managed {
			res.Action = WriteBackTemplate
			res.Reason = fmt.Sprintf("the credential of %s:%s was changed by its CLI but was rendered from a template; it is not written back", req.Provider, req.Account)
		}
		return res, sec, nil
	}
	var managedChanged, secretChanged bool
	if haveBase {
		managedChanged = sum != b.managed
		secretChanged = sha256.Sum256(sec.Data) != b.secret
	} else {
		// No record (first run of this layout): only a file-backed secret has a time to compare.
		managedChanged = !sec.ModTime.IsZero() && sec.Path != "" && mtime.After(sec.ModTime)
	}
	if !managedChanged && haveBase && !secretChanged && b.managed != b.secret {
		// An earlier run kept the CLI's copy over a read-only secret and neither side moved since:
		// the copy is still the newer credential.
		r, eff, err := writeBackLocked(ctx, req, sec, managed, mtime)
		return r, eff, err
	}
	if !managedChanged {
		res.Action = WriteBackUnchanged
		if haveBase && b.managed != b.secret {
			// The kept CLI copy is superseded by a secret its owner updated since.
			res.Action, res.Conflict = WriteBackKeptSecret, true
			res.Reason = fmt.Sprintf("the secret of %s:%s was updated; it replaces the copy its CLI had refreshed", req.Provider, req.Account)
		}
		return res, sec, nil
	}
	if _, err := providers.ParseCredential(req.Definition, managed, mtime); err != nil {
		res.Action = WriteBackInvalid
		res.Reason = fmt.Sprintf("the credential of %s:%s left by its CLI does not parse; the account's secret is used", req.Provider, req.Account)
		return res, sec, nil
	}
	if secretChanged && !mtime.After(sec.ModTime) {
		res.Action, res.Conflict = WriteBackKeptSecret, true
		res.Reason = fmt.Sprintf("the credential of %s:%s changed both in its CLI's dir and in its secret; the newer secret is kept", req.Provider, req.Account)
		return res, sec, nil
	}
	r, eff, err := writeBackLocked(ctx, req, sec, managed, mtime)
	r.Conflict = r.Conflict || secretChanged
	return r, eff, err
}

// writeBackLocked writes managed into the account's secret under the account lock, re-reading the
// secret inside the lock: a secret that changed since `read` was read is newer than our knowledge,
// and the newer of the two credentials wins.
func writeBackLocked(ctx context.Context, req Request, read Secret, managed []byte, mtime time.Time) (WriteBackResult, Secret, error) {
	s := req.AccountConfig.Secret
	res := WriteBackResult{Capability: s.WriteCapability()}
	key := omux.Account(req.Provider, req.Account).String()
	managedSecret := Secret{Backend: read.Backend, Data: managed, Path: read.Path, ModTime: mtime, Mode: read.Mode}
	if res.Capability != config.WriteReplaceFile {
		res.Action = WriteBackReadOnly
		res.Reason = fmt.Sprintf("the credential of %s was refreshed by its CLI but its %s backend is read-only; update the secret by hand (the refreshed copy stays in use)", key, s.Backend)
		return res, managedSecret, nil
	}
	if req.StateDir == "" {
		return res, read, errors.New("inject: no state dir for the account lock")
	}
	lctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	lock, err := state.LockAccount(lctx, req.StateDir, req.Provider, req.Account, true)
	if err != nil {
		return res, read, fmt.Errorf("write-back of %s: %w", key, err)
	}
	defer lock.Release()
	cur, err := ReadSecret(ctx, s, req.secretEnv())
	if err == nil && !bytes.Equal(cur.Data, read.Data) {
		if bytes.Equal(cur.Data, managed) {
			res.Action = WriteBackUnchanged
			return res, cur, nil
		}
		if !mtime.After(cur.ModTime) {
			res.Action, res.Conflict = WriteBackKeptSecret, true
			res.Reason = fmt.Sprintf("the credential of %s changed both in its CLI's dir and in its secret; the newer secret is kept", key)
			return res, cur, nil
		}
		res.Conflict = true
	}
	if err := WriteSecret(s, managed); err != nil {
		return res, read, err
	}
	res.Action = WriteBackWritten
	if res.Conflict {
		res.Reason = fmt.Sprintf("the credential of %s changed both in its CLI's dir and in its secret; the newer one from the CLI was written back", key)
	}
	after, err := ReadSecret(ctx, s, req.secretEnv())
	if err != nil {
		return res, managedSecret, nil
	}
	return res, after, nil
}

// WriteBack runs after the child ended (SPEC §6.1): when the CLI rewrote the managed credential and
// it still parses, it goes back to the account's secret under the account lock. A read-only backend
// gives a WriteBackReadOnly result for the caller to warn about and record as an event.
func (p *Prepared) WriteBack(ctx context.Context) (WriteBackResult, error) {
	req := p.req
	res := WriteBackResult{Capability: req.AccountConfig.Secret.WriteCapability()}
	if p.CredentialPath == "" {
		return res, nil
	}
	managed, mtime, ok := readManaged(p.CredentialPath)
	if !ok || sha256.Sum256(managed) == p.written {
		res.Action = WriteBackUnchanged
		return res, nil
	}
	key := omux.Account(req.Provider, req.Account).String()
	if p.renderedTpl {
		res.Action = WriteBackTemplate
		res.Reason = fmt.Sprintf("the credential of %s was changed by its CLI but was rendered from a template; it is not written back", key)
		return res, nil
	}
	if _, err := providers.ParseCredential(req.Definition, managed, mtime); err != nil {
		res.Action = WriteBackInvalid
		res.Reason = fmt.Sprintf("the credential of %s left by its CLI does not parse; it is not written back", key)
		return res, nil
	}
	r, eff, err := writeBackLocked(ctx, req, p.secretRead, managed, mtime)
	if err != nil {
		return r, err
	}
	switch r.Action {
	case WriteBackWritten:
		p.secretRead = eff
		p.written = sha256.Sum256(managed)
		err = writeBase(p.home, p.written)
		if p.fleet != nil {
			r.PoolWarning, r.PoolConflict = p.sharePool(ctx, managed)
		}
	case WriteBackKeptSecret:
		// The secret is newer: the managed copy follows it so the next run starts from it.
		if werr := state.WriteFileAtomic(p.CredentialPath, eff.Data, 0o600); werr != nil {
			return r, fmt.Errorf("managed credential: %w", werr)
		}
		p.secretRead = eff
		p.written = sha256.Sum256(eff.Data)
		err = writeBase(p.home, p.written)
	}
	return r, err
}

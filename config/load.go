package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/providers"
)

// MaxSize is the largest config file Load accepts. A config is a few kilobytes; anything near a
// mebibyte is a wrong path (a log, a binary) and reading it whole would only waste memory.
const MaxSize = 1 << 20

// NotFoundError says the config file does not exist. It is not a config error (exit 1, not 200):
// the fix is to create one.
type NotFoundError struct {
	Path string
	Err  error
}

func (e *NotFoundError) Error() string { return "config file " + e.Path + " is missing" }
func (e *NotFoundError) Unwrap() error { return e.Err }

// ExitCode is 1: a missing file is a setup step, not an invalid config.
func (e *NotFoundError) ExitCode() int { return omux.ExitGeneral }

// Hints tells the user how to get a config.
func (e *NotFoundError) Hints() []string {
	return []string{
		"run `oauth-mux init` (or `oauth-mux init --codex-max`) to create one",
		"or point --config or OMUX_CONFIG at an existing file",
	}
}

// TooLargeError refuses a config file over MaxSize.
type TooLargeError struct {
	Path string
	Size int64 // at least MaxSize+1; the exact size when known
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("config error: %s: file is larger than 1 MiB (%d bytes); refusing to read it", e.Path, e.Size)
}

// ExitCode is 200: the file exists but cannot be a valid config.
func (e *TooLargeError) ExitCode() int { return omux.ExitConfig }

// ReadError is any other failure to read the config file (a directory, no permission).
type ReadError struct {
	Path string
	Err  error
}

func (e *ReadError) Error() string { return "config error: " + e.Path + ": " + e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// ExitCode is 200: a config that exists but cannot be read is a config problem.
func (e *ReadError) ExitCode() int { return omux.ExitConfig }

func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &NotFoundError{Path: path, Err: err}
		}
		return nil, &ReadError{Path: path, Err: unwrapPathError(err)}
	}
	defer f.Close()
	// Read through a limit rather than trusting Stat: a FIFO or /proc file has no honest size.
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, &ReadError{Path: path, Err: unwrapPathError(err)}
	}
	if len(data) > MaxSize {
		size := int64(len(data))
		if st, err := f.Stat(); err == nil && st.Size() > size {
			size = st.Size()
		}
		return nil, &TooLargeError{Path: path, Size: size}
	}
	return data, nil
}

// unwrapPathError drops the *PathError wrapper whose path we print ourselves.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// decode turns bytes into a Config. It walks the raw JSON against the schema first, so that type
// mismatches get JSON paths, unknown keys are recorded (and dropped, so that encoding/json's
// case-insensitive field matching cannot make a misspelt key count), and the final unmarshal sees only
// keys the schema knows.
func decode(data []byte, name string) (*Config, []Problem) {
	// json.Unmarshal checks the whole input (trailing data included) before decoding, and its
	// SyntaxError offsets count from the start of the file.
	var check json.RawMessage
	if err := json.Unmarshal(data, &check); err != nil {
		return nil, []Problem{syntaxProblem(data, name, err)}
	}
	var raw any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, []Problem{syntaxProblem(data, name, err)}
	}
	if _, ok := raw.(map[string]any); !ok {
		return nil, []Problem{{Path: name, Msg: "the config must be a JSON object, got " + jsonKind(raw)}}
	}
	w := walker{}
	w.walk(raw, configType, "")
	if len(w.probs) > 0 {
		return nil, w.probs
	}
	pruned, err := json.Marshal(raw)
	if err != nil {
		return nil, []Problem{{Path: name, Msg: err.Error()}}
	}
	c := &Config{}
	if err := json.Unmarshal(pruned, c); err != nil {
		// The walker checks every kind the schema uses; this is a last line of defence.
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, []Problem{{Path: te.Field, Msg: fmt.Sprintf("expected %s, got %s", te.Type, te.Value)}}
		}
		return nil, []Problem{{Path: name, Msg: err.Error()}}
	}
	c.Unknown, c.UnknownNear = w.unknown, w.near
	c.initCatalog()
	return c, nil
}

func syntaxProblem(data []byte, name string, err error) Problem {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		if strings.Contains(se.Error(), "unexpected end of JSON input") {
			return Problem{Path: eofPosition(data, name), Msg: se.Error()}
		}
		return Problem{Path: position(data, name, se.Offset), Msg: se.Error()}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return Problem{Path: eofPosition(data, name), Msg: "unexpected end of JSON input"}
	}
	return Problem{Path: name, Msg: err.Error()}
}

// position renders "<file>:<line>:<col>" for a decoder offset. The decoder's offset counts the bytes
// read, so it points just past the offending byte: that byte's column, 1-based, is offset minus the
// start of its line.
func position(data []byte, name string, off int64) string {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := len(before) - (bytes.LastIndexByte(before, '\n') + 1)
	if col == 0 {
		col = 1
	}
	return fmt.Sprintf("%s:%d:%d", name, line, col)
}

// eofPosition names the column just past the last byte, where the missing input should have been.
func eofPosition(data []byte, name string) string {
	line := bytes.Count(data, []byte{'\n'}) + 1
	col := len(data) - (bytes.LastIndexByte(data, '\n') + 1) + 1
	return fmt.Sprintf("%s:%d:%d", name, line, col)
}

// initCatalog arms the cached catalog. Configs built as literals (tests) have none and build one per
// call instead.
func (c *Config) initCatalog() {
	defs := c.ProviderDefinitions
	c.catalog = sync.OnceValue(func() *providers.Catalog { return providers.NewCatalog(defs) })
}

// expandPaths expands "~" in every path field of the accounts. A "~" that cannot be expanded because
// HOME is unset is a problem: leaving it would make oauth-mux look for a directory literally named "~".
func (c *Config) expandPaths(home string) []Problem {
	var probs []Problem
	exp := func(path string, p *string) {
		if !needsHome(*p) {
			return
		}
		if home == "" {
			probs = append(probs, Problem{Path: path, Msg: fmt.Sprintf("cannot expand %q: HOME is not set", *p)})
			return
		}
		*p = expandHome(*p, home)
	}
	for pn, p := range c.Providers {
		for an, a := range p.Accounts {
			base := keyPath(keyPath(keyPath("providers", pn), "accounts"), an)
			exp(keyPath(base, "config_dir"), &a.ConfigDir)
			sp := keyPath(base, "secret")
			exp(keyPath(sp, "path"), &a.Secret.Path)
			exp(keyPath(sp, "key_path"), &a.Secret.KeyPath)
			if !isInlineAgeKey(a.Secret.Identity) {
				exp(keyPath(sp, "identity"), &a.Secret.Identity)
			}
			p.Accounts[an] = a
		}
	}
	return probs
}

// isInlineAgeKey tells an inline age identity from a path to an identity file.
func isInlineAgeKey(s string) bool {
	return strings.HasPrefix(strings.TrimSpace(s), "AGE-SECRET-KEY-")
}

//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// tokenServer is a loopback OAuth 2 token endpoint (RFC 6749 §6, the refresh grant) for the suites.
// It answers by mode:
//
//	rotate          200 with a new access token and a new refresh token (rotation)
//	norotate        200 with a new access token and no refresh token
//	invalid_grant   400 {"error":"invalid_grant"}
//	500             500 with a body that must never be echoed
//	slow            like rotate, after -delay (default 3s); a client that gives up is still counted
//
// Tokens it hands out are <prefix>access-<n> and <prefix>refresh-<n>, n the 1-based request number.
// Every request appends one line to $WORK/tokenserver.log: grant_type, refresh_token and client_id as
// received, so scripts can check what was submitted (a rotated token must be the one sent next).
type tokenServer struct {
	mu     sync.Mutex
	mode   string
	prefix string
	delay  time.Duration
	count  int
	log    string
	srv    *http.Server
}

var tokenServers sync.Map // *testscript.TestScript → *tokenServer

// cmdTokenserver is `tokenserver [-delay D] [-prefix P] MODE [FILE…]`: start the server (exporting its
// URL as $TOKEN_URL and writing it over every {{TOKEN_URL}} in the FILEs, so a config's
// provider_definitions can point a built-in's token_endpoint at it), or switch a running one to MODE
// (the count goes on).
func cmdTokenserver(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("usage: tokenserver [-delay D] [-prefix P] MODE")
	}
	fs := flag.NewFlagSet("tokenserver", flag.ContinueOnError)
	delay := fs.Duration("delay", 3*time.Second, "delay of the slow mode")
	prefix := fs.String("prefix", "new-", "prefix of the tokens handed out")
	if err := fs.Parse(args); err != nil || fs.NArg() < 1 {
		ts.Fatalf("usage: tokenserver [-delay D] [-prefix P] MODE [FILE…]")
	}
	mode := fs.Arg(0)
	switch mode {
	case "rotate", "norotate", "invalid_grant", "500", "slow":
	default:
		ts.Fatalf("tokenserver: unknown mode %q (rotate, norotate, invalid_grant, 500, slow)", mode)
	}
	if v, ok := tokenServers.Load(ts); ok {
		s := v.(*tokenServer)
		s.mu.Lock()
		s.mode, s.prefix, s.delay = mode, *prefix, *delay
		s.mu.Unlock()
		return
	}
	s := &tokenServer{mode: mode, prefix: *prefix, delay: *delay, log: ts.MkAbs("tokenserver.log")}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go s.srv.Serve(ln)
	tokenServers.Store(ts, s)
	ts.Defer(func() {
		s.srv.Close()
		tokenServers.Delete(ts)
	})
	url := "http://" + ln.Addr().String() + "/oauth/token"
	ts.Setenv("TOKEN_URL", url)
	for _, f := range fs.Args()[1:] {
		b, err := os.ReadFile(ts.MkAbs(f))
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(f), bytes.ReplaceAll(b, []byte("{{TOKEN_URL}}"), []byte(url)), 0o600))
	}
}

// cmdTokenserverCount is `tokenserver-count N`: the server has answered exactly N requests.
func cmdTokenserverCount(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: tokenserver-count N")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	v, ok := tokenServers.Load(ts)
	if !ok {
		ts.Fatalf("tokenserver-count: no tokenserver running")
	}
	s := v.(*tokenServer)
	s.mu.Lock()
	got := s.count
	s.mu.Unlock()
	if (got == want) == neg {
		ts.Fatalf("tokenserver: %d requests, want %s%d", got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

func (s *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.count++
	n, mode, prefix, delay := s.count, s.mode, s.prefix, s.delay
	if f, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err == nil {
		fmt.Fprintf(f, "grant_type=%s refresh_token=%s client_id=%s\n", r.PostForm.Get("grant_type"),
			r.PostForm.Get("refresh_token"), r.PostForm.Get("client_id"))
		f.Close()
	}
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	answer := map[string]any{"access_token": fmt.Sprintf("%saccess-%d", prefix, n), "token_type": "Bearer", "expires_in": 3600}
	switch mode {
	case "invalid_grant":
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":"invalid_grant","error_description":"SERVER-BODY-CANARY"}`))
		return
	case "500":
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"error":"server_error","error_description":"SERVER-BODY-CANARY"}`))
		return
	case "slow":
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		fallthrough
	case "rotate":
		answer["refresh_token"] = fmt.Sprintf("%srefresh-%d", prefix, n)
	}
	json.NewEncoder(w).Encode(answer)
}

//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// apiRoute is one scripted answer of an apiserver. The first route whose path matches (and whose
// header matches, when one is named) answers.
type apiRoute struct {
	Method string `json:"method,omitempty"`
	Path   string `json:"path"`
	// Header and Value: the request must carry this header with exactly this value (e.g.
	// Authorization "Bearer tok-a"), so each account's token gets its own answer.
	Header  string            `json:"header,omitempty"`
	Value   string            `json:"value,omitempty"`
	Status  int               `json:"status,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
	DelayMS int               `json:"delay_ms,omitempty"`
}

// cmdAPIServer is `apiserver VAR ROUTES.json [FILE…]`: start an httptest server on loopback in the
// test process, answering as ROUTES.json scripts, set VAR to its base URL (http://127.0.0.1:PORT),
// and replace $VAR in each FILE with it (a config whose probe URL has a literal host and a
// placeholder in its path cannot take the base URL from the environment).
// Every request is logged to $WORK/VAR.log as "METHOD PATH STATUS" — never a header value, so a
// script can count requests without the log holding a token. A request no route matches gets 599.
// The server stops when the script ends.
func cmdAPIServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: apiserver VAR ROUTES.json [FILE…]")
	}
	data, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	var routes []apiRoute
	if err := json.Unmarshal(data, &routes); err != nil {
		ts.Fatalf("apiserver %s: %v", args[1], err)
	}
	logPath := ts.MkAbs(args[0] + ".log")
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := 599
		var hit *apiRoute
		for i := range routes {
			rt := &routes[i]
			if rt.Path != r.URL.Path || (rt.Method != "" && !strings.EqualFold(rt.Method, r.Method)) {
				continue
			}
			if rt.Header != "" && r.Header.Get(rt.Header) != rt.Value {
				continue
			}
			hit = rt
			break
		}
		if hit != nil {
			status = hit.Status
			if status == 0 {
				status = http.StatusOK
			}
		}
		mu.Lock()
		if f, err := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
			fmt.Fprintf(f, "%s %s %d\n", r.Method, r.URL.Path, status)
			f.Close()
		}
		mu.Unlock()
		if hit == nil {
			w.WriteHeader(status)
			return
		}
		if hit.DelayMS > 0 {
			select {
			case <-time.After(time.Duration(hit.DelayMS) * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
		for k, v := range hit.Headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(hit.Body))
	}))
	ts.Defer(srv.Close)
	ts.Setenv(args[0], srv.URL)
	for _, f := range args[2:] {
		path := ts.MkAbs(f)
		b, err := os.ReadFile(path)
		ts.Check(err)
		s := strings.ReplaceAll(string(b), "${"+args[0]+"}", srv.URL)
		ts.Check(os.WriteFile(path, []byte(strings.ReplaceAll(s, "$"+args[0], srv.URL)), 0o600))
	}
}

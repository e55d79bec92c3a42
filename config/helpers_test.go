package config

import (
	"errors"
	"strings"
	"testing"
)

// env makes a getenv from pairs.
func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

var testEnv = env("HOME", "/home/tester")

// problemsOf returns the problems of err, failing the test when err is not *Errors.
func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	if err == nil {
		return nil
	}
	var es *Errors
	if !errors.As(err, &es) {
		t.Fatalf("error %v (%T) is not *Errors", err, err)
	}
	return es.Problems
}

func hasProblem(probs []Problem, path, msg string) bool {
	for _, p := range probs {
		if p.Path == path && strings.Contains(p.Msg, msg) {
			return true
		}
	}
	return false
}

func render2(probs []Problem) string {
	return (&Errors{Problems: probs}).Error()
}

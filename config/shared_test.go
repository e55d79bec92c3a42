package config

import (
	"strings"
	"testing"
	"time"
)

func TestSharedRedisValidation(t *testing.T) {
	const recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
	shared := func(r obj) func(m obj) { return func(m obj) { m["shared"] = obj{"redis": r} } }
	tests := []struct {
		name     string
		redis    obj
		path     string
		contains string
	}{
		{"no url", obj{"pool": "ci"}, "shared.redis.url", "missing"},
		{"bad scheme", obj{"url": "http://127.0.0.1:6379", "pool": "ci"}, "shared.redis.url", "scheme must be"},
		{"no host", obj{"url": "redis:///0", "pool": "ci"}, "shared.redis.url", "names no host"},
		{"password in url", obj{"url": "redis://:CANARY-pw-77@127.0.0.1:6379/0", "pool": "ci"}, "shared.redis.url", "password_env"},
		{"no pool", obj{"url": "redis://127.0.0.1:6379/0"}, "shared.redis.pool", "missing"},
		{"pool with brace", obj{"url": "redis://127.0.0.1:6379/0", "pool": "ci}x"}, "shared.redis.pool", "letters, digits"},
		{"password_env", obj{"url": "redis://127.0.0.1", "pool": "ci", "password_env": "9X"}, "shared.redis.password_env", "not an environment variable name"},
		{"timeout", obj{"url": "redis://127.0.0.1", "pool": "ci", "timeout_ms": 90000}, "shared.redis.timeout_ms", "between 1 and 60000"},
		{"lease", obj{"url": "redis://127.0.0.1", "pool": "ci", "lease_ms": 10}, "shared.redis.lease_ms", "between 1000"},
		{"recipient", obj{"url": "redis://127.0.0.1", "pool": "ci", "recipient": "age1nope", "identity": obj{"backend": "env", "variable": "POOL_KEY"}}, "shared.redis.recipient", "not an age public key"},
		{"recipient without identity", obj{"url": "redis://127.0.0.1", "pool": "ci", "recipient": recipient}, "shared.redis", "together"},
		{"identity backend", obj{"url": "redis://127.0.0.1", "pool": "ci", "recipient": recipient, "identity": obj{"backend": "file"}}, "shared.redis.identity.path", `needs "path"`},
		{"unknown key", obj{"url": "redis://127.0.0.1", "pool": "ci", "tsl": true}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probs := parseMutated(t, shared(tt.redis))
			if tt.path == "" {
				if len(probs) != 0 {
					t.Fatalf("problems %v, want only an unknown-key warning", probs)
				}
				return
			}
			found := false
			for _, p := range probs {
				if p.Path == tt.path && strings.Contains(p.Msg, tt.contains) {
					found = true
				}
				if strings.Contains(p.Msg, "CANARY") {
					t.Errorf("a problem repeats the URL's password: %s", p.Msg)
				}
			}
			if !found {
				t.Fatalf("want %s: %q, got %v", tt.path, tt.contains, probs)
			}
		})
	}
	if probs := parseMutated(t, shared(obj{"url": "rediss://cache.internal:6380/2", "pool": "ci-fleet.1", "password_env": "REDIS_PW",
		"timeout_ms": 300, "host": "runner-7", "recipient": recipient, "identity": obj{"backend": "env", "variable": "POOL_KEY"}})); len(probs) != 0 {
		t.Fatalf("a full shared config has problems: %v", probs)
	}
}

func TestSharedRedisFrom(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if r := SharedRedisFrom(&Config{}, getenv); r != nil {
		t.Fatalf("no config, no env: %+v, want none", r)
	}
	env["OMUX_REDIS_URL"] = "redis://127.0.0.1:7000/1"
	r := SharedRedisFrom(&Config{}, getenv)
	if r == nil || r.URL != "redis://127.0.0.1:7000/1" || r.Pool != DefaultPool || r.Timeout() != DefaultSharedTimeout {
		t.Fatalf("env only: %+v", r)
	}
	c := &Config{Shared: Shared{Redis: &SharedRedis{URL: "redis://10.0.0.1", Pool: "ci", TimeoutMS: 50, LeaseMS: 2000}}}
	r = SharedRedisFrom(c, getenv)
	if r.URL != "redis://127.0.0.1:7000/1" || r.Pool != "ci" || r.Timeout() != 50*time.Millisecond || r.Lease() != 2*time.Second {
		t.Fatalf("env over config: %+v", r)
	}
	if c.Shared.Redis.URL != "redis://10.0.0.1" {
		t.Fatal("SharedRedisFrom changed the config")
	}
}

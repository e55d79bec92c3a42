package providers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// RuleResourceMetadata names the verdict of protected-resource metadata that fails RFC 9728.
const RuleResourceMetadata = "mcp-resource-metadata-rfc9728"

// isResourceMetadata says whether a probe fetches OAuth protected-resource metadata: the built-in
// mcp capability (and any config capability of that name), or any probe of an RFC 9728 well-known
// URL, so that a config's own MCP provider gets the same check.
func isResourceMetadata(capName string, u *url.URL) bool {
	return capName == "resource-metadata" || strings.HasPrefix(u.Path, "/.well-known/oauth-protected-resource")
}

// MetadataError says why protected-resource metadata is not usable. It names fields, never values
// (a metadata document is public, but an error text travels into logs and stays short).
type MetadataError struct{ Field, Msg string }

func (e *MetadataError) Error() string {
	if e.Field == "" {
		return "protected-resource metadata: " + e.Msg
	}
	return fmt.Sprintf("protected-resource metadata: %s: %s", e.Field, e.Msg)
}

// CheckResourceMetadata checks an OAuth 2.0 protected-resource metadata document (RFC 9728 §2, as
// MCP's authorization spec uses it): a JSON object whose "resource" is an https URL without a
// fragment, and whose "authorization_servers" is a non-empty list of https issuer URLs (RFC 8414 §2:
// no query, no fragment). MCP clients need an authorization server to go on, so RFC 9728's optional
// list is required here.
func CheckResourceMetadata(body []byte) error {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil || doc == nil {
		return &MetadataError{Msg: "not a JSON object"}
	}
	var resource string
	if raw, ok := doc["resource"]; !ok || json.Unmarshal(raw, &resource) != nil || resource == "" {
		return &MetadataError{Field: "resource", Msg: "missing or not a string"}
	}
	if err := httpsURL(resource, false); err != nil {
		return &MetadataError{Field: "resource", Msg: err.Error()}
	}
	var servers []string
	if raw, ok := doc["authorization_servers"]; !ok || json.Unmarshal(raw, &servers) != nil {
		return &MetadataError{Field: "authorization_servers", Msg: "missing or not a list of strings"}
	}
	if len(servers) == 0 {
		return &MetadataError{Field: "authorization_servers", Msg: "empty"}
	}
	for i, s := range servers {
		if err := httpsURL(s, true); err != nil {
			return &MetadataError{Field: fmt.Sprintf("authorization_servers[%d]", i), Msg: err.Error()}
		}
	}
	return nil
}

func httpsURL(s string, issuer bool) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return errors.New("not a URL")
	case u.Scheme != "https":
		return errors.New("not an https URL")
	case u.Host == "" || u.Opaque != "":
		return errors.New("has no host")
	case u.User != nil:
		return errors.New("carries user info")
	case u.Fragment != "" || strings.Contains(s, "#"):
		return errors.New("has a fragment")
	case issuer && (u.RawQuery != "" || u.ForceQuery):
		return errors.New("an issuer has no query")
	}
	return nil
}

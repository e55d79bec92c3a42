package providers

import (
	"slices"

	"github.com/oauth-mux/oauth-mux/classify"
)

// Clone returns a deep copy of d: no slice, pointer or nested value is shared, so a caller may
// change the copy without touching the catalog it came from.
func (d Definition) Clone() Definition {
	out := d
	out.Auth.Scopes = slices.Clone(d.Auth.Scopes)
	out.Injection.DirectEnv = slices.Clone(d.Injection.DirectEnv) // [2]string elements are values
	out.Injection.ScrubEnv = slices.Clone(d.Injection.ScrubEnv)
	out.Detection.BinaryNames = slices.Clone(d.Detection.BinaryNames)
	out.Detection.EnvMarkers = slices.Clone(d.Detection.EnvMarkers)
	out.Detection.BatchArgs = slices.Clone(d.Detection.BatchArgs)
	out.Runtime.RequiredBinaries = slices.Clone(d.Runtime.RequiredBinaries)
	out.Runtime.EnvVars = slices.Clone(d.Runtime.EnvVars)
	out.Runtime.WritablePaths = slices.Clone(d.Runtime.WritablePaths)
	out.Runtime.SessionPaths = slices.Clone(d.Runtime.SessionPaths)
	out.Repair.LoginCommand = slices.Clone(d.Repair.LoginCommand)
	if d.Capabilities != nil {
		out.Capabilities = make([]Capability, len(d.Capabilities))
		for i, c := range d.Capabilities {
			out.Capabilities[i] = c.clone()
		}
	}
	if d.FailureRules != nil {
		out.FailureRules = make([]classify.HTTPRule, len(d.FailureRules))
		for i, r := range d.FailureRules {
			out.FailureRules[i] = cloneHTTPRule(r)
		}
	}
	if d.OutputRules != nil {
		out.OutputRules = make([]classify.OutputRule, len(d.OutputRules))
		for i, r := range d.OutputRules {
			r.ExitCodes = slices.Clone(r.ExitCodes)
			out.OutputRules[i] = r
		}
	}
	return out
}

func (c Capability) clone() Capability {
	out := c
	out.Aliases = slices.Clone(c.Aliases)
	if c.Probe != nil {
		p := c.Probe.clone()
		out.Probe = &p
	}
	return out
}

func (p Probe) clone() Probe {
	out := p
	out.Command = slices.Clone(p.Command)
	out.TimeoutMS = clonePtr(p.TimeoutMS)
	out.SuccessStatusMin = clonePtr(p.SuccessStatusMin)
	out.SuccessStatusMax = clonePtr(p.SuccessStatusMax)
	return out
}

func cloneHTTPRule(r classify.HTTPRule) classify.HTTPRule {
	r.Status = clonePtr(r.Status)
	r.StatusMin = clonePtr(r.StatusMin)
	r.StatusMax = clonePtr(r.StatusMax)
	r.RetryAfterGTE = clonePtr(r.RetryAfterGTE)
	r.RetryAfterLT = clonePtr(r.RetryAfterLT)
	r.HintEquals = clonePtr(r.HintEquals)
	r.HintContains = clonePtr(r.HintContains)
	return r
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func str(base, over string) string {
	if over != "" {
		return over
	}
	return base
}

func list[T any](base, over []T) []T {
	if len(over) > 0 {
		return slices.Clone(over)
	}
	return slices.Clone(base)
}

func ptr[T any](base, over *T) *T {
	if over != nil {
		return clonePtr(over)
	}
	return clonePtr(base)
}

func merge(base, over Definition) Definition {
	base, over = base.Clone(), over.Clone()
	out := base
	out.Name = str(base.Name, over.Name)
	out.DisplayName = str(base.DisplayName, over.DisplayName)

	out.Auth = Auth{
		TokenEndpoint:               str(base.Auth.TokenEndpoint, over.Auth.TokenEndpoint),
		AuthorizationEndpoint:       str(base.Auth.AuthorizationEndpoint, over.Auth.AuthorizationEndpoint),
		DeviceAuthorizationEndpoint: str(base.Auth.DeviceAuthorizationEndpoint, over.Auth.DeviceAuthorizationEndpoint),
		ClientID:                    str(base.Auth.ClientID, over.Auth.ClientID),
		Scopes:                      list(base.Auth.Scopes, over.Auth.Scopes),
	}

	bc, oc := base.Credential, over.Credential
	out.Credential = Credential{
		AccessTokenPath:    str(bc.AccessTokenPath, oc.AccessTokenPath),
		RefreshTokenPath:   str(bc.RefreshTokenPath, oc.RefreshTokenPath),
		ExpiresAtPath:      str(bc.ExpiresAtPath, oc.ExpiresAtPath),
		ExpiresAtUnit:      str(bc.ExpiresAtUnit, oc.ExpiresAtUnit),
		ExpiresInPath:      str(bc.ExpiresInPath, oc.ExpiresInPath),
		ExpiresFromJWTPath: str(bc.ExpiresFromJWTPath, oc.ExpiresFromJWTPath),
		IDTokenPath:        str(bc.IDTokenPath, oc.IDTokenPath),
		RefreshedAtPath:    str(bc.RefreshedAtPath, oc.RefreshedAtPath),
		APIKeyPath:         str(bc.APIKeyPath, oc.APIKeyPath),
		WrapperKey:         str(bc.WrapperKey, oc.WrapperKey),
		TokenType:          str(bc.TokenType, oc.TokenType),
		// A bool cannot say "unset", so over can add metering but not take it away; the account tag
		// "metered" and the profile's allow_metered are the user's levers for the spend guard.
		APIKeyMetered: bc.APIKeyMetered || oc.APIKeyMetered,
	}

	bi, oi := base.Injection, over.Injection
	out.Injection = Injection{
		ConfigDirEnv:       str(bi.ConfigDirEnv, oi.ConfigDirEnv),
		CredentialFilename: str(bi.CredentialFilename, oi.CredentialFilename),
		CredentialTemplate: str(bi.CredentialTemplate, oi.CredentialTemplate),
		DirectEnv:          list(bi.DirectEnv, oi.DirectEnv),
		ScrubEnv:           list(bi.ScrubEnv, oi.ScrubEnv),
	}
	out.Detection = Detection{
		BinaryNames: list(base.Detection.BinaryNames, over.Detection.BinaryNames),
		EnvMarkers:  list(base.Detection.EnvMarkers, over.Detection.EnvMarkers),
		BatchArgs:   list(base.Detection.BatchArgs, over.Detection.BatchArgs),
	}
	br, or := base.Runtime, over.Runtime
	out.Runtime = Runtime{
		RequiredBinaries: list(br.RequiredBinaries, or.RequiredBinaries),
		EnvVars:          list(br.EnvVars, or.EnvVars),
		WritablePaths:    list(br.WritablePaths, or.WritablePaths),
		SessionPaths:     list(br.SessionPaths, or.SessionPaths),
	}
	out.Repair = Repair{
		Owner:                str(base.Repair.Owner, over.Repair.Owner),
		LoginCommand:         list(base.Repair.LoginCommand, over.Repair.LoginCommand),
		RefreshTokenResponse: str(base.Repair.RefreshTokenResponse, over.Repair.RefreshTokenResponse),
	}

	out.Capabilities = mergeCapabilities(base.Capabilities, over.Capabilities)

	// First match wins in classify.Judge, so putting the config's rules first lets a user refine or
	// override a built-in judgement without restating the whole list.
	out.FailureRules = append(over.FailureRules, base.FailureRules...)
	out.OutputRules = append(over.OutputRules, base.OutputRules...)
	if len(out.FailureRules) == 0 {
		out.FailureRules = nil
	}
	if len(out.OutputRules) == 0 {
		out.OutputRules = nil
	}
	return out
}

func mergeCapabilities(base, over []Capability) []Capability {
	if len(base) == 0 && len(over) == 0 {
		return nil
	}
	out := make([]Capability, 0, len(base)+len(over))
	for _, c := range base {
		out = append(out, c.clone())
	}
	for _, oc := range over {
		i := slices.IndexFunc(out, func(c Capability) bool {
			return c.Name == oc.Name || slices.Contains(c.Aliases, oc.Name)
		})
		if i < 0 {
			out = append(out, oc.clone())
			continue
		}
		bc := out[i]
		merged := Capability{Name: bc.Name, Aliases: list(bc.Aliases, oc.Aliases)}
		switch {
		case oc.Probe == nil:
			merged.Probe = bc.Probe
		case bc.Probe == nil || (oc.Probe.Transport != "" && oc.Probe.Transport != bc.Probe.Transport):
			// A probe of another transport shares nothing meaningful with the old one: keeping the
			// old command beside a new URL would only confuse validation.
			p := oc.Probe.clone()
			merged.Probe = &p
		default:
			p := mergeProbe(*bc.Probe, *oc.Probe)
			merged.Probe = &p
		}
		out[i] = merged
	}
	return out
}

func mergeProbe(base, over Probe) Probe {
	return Probe{
		Transport:        str(base.Transport, over.Transport),
		Method:           str(base.Method, over.Method),
		URL:              str(base.URL, over.URL),
		Body:             str(base.Body, over.Body),
		ContentType:      str(base.ContentType, over.ContentType),
		Command:          list(base.Command, over.Command),
		Auth:             str(base.Auth, over.Auth),
		AuthHeader:       str(base.AuthHeader, over.AuthHeader),
		TimeoutMS:        ptr(base.TimeoutMS, over.TimeoutMS),
		SuccessStatusMin: ptr(base.SuccessStatusMin, over.SuccessStatusMin),
		SuccessStatusMax: ptr(base.SuccessStatusMax, over.SuccessStatusMax),
		HintHeader:       str(base.HintHeader, over.HintHeader),
		HintBody:         base.HintBody || over.HintBody,
		Budget:           str(base.Budget, over.Budget),
		Tests:            str(base.Tests, over.Tests),
	}
}

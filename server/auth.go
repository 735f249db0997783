package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// Role is what a token may do. Each role includes the ones below it.
type Role string

// The roles, from least to most allowed.
const (
	RoleViewer Role = "viewer"
	RoleEditor Role = "editor"
	RoleAdmin  Role = "admin"
)

func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleEditor:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r.rank() > 0 }

// Allows reports whether r includes need.
func (r Role) Allows(need Role) bool { return r.rank() >= need.rank() }

// Principal is the authenticated caller of a request.
type Principal struct {
	Name   string            `json:"name"`
	Role   Role              `json:"role"`
	Scopes map[string]string `json:"scopes,omitempty"`
}

// Settings are the ClickHouse settings every read on the principal's behalf
// runs with: read-only, the role's limits, and the token's scopes as table
// filters the engine applies.
//
// Scopes are default-deny: a scoped principal reads only the tables its
// scopes name; every other table of logmart's reads as empty. Below admin,
// the audit (query_log) and the engine's running statements show the
// caller's own entries only, scoped or not.
func (p Principal) Settings(l Limits) store.Settings {
	s := store.Settings{
		ReadOnly:         true,
		MaxExecutionTime: l.MaxExecutionTime,
		MaxResultRows:    l.MaxResultRows,
		MaxRowsToRead:    l.MaxRowsToRead,
		MaxMemoryUsage:   l.MaxMemoryUsage,
		Owner:            p.Name,
		Pool:             string(p.Role),
		DenyUnlisted:     len(p.Scopes) > 0,
	}
	if len(p.Scopes) > 0 || p.Role != RoleAdmin {
		s.TableFilters = make(map[string]string, len(p.Scopes)+2)
		for k, v := range p.Scopes {
			s.TableFilters[k] = v
		}
	}
	if p.Role != RoleAdmin {
		s.TableFilters[store.ProcessesTable] = store.OwnerFilter(p.Name)
		s.TableFilters[auditTable] = "user = " + store.Quote(p.Name)
	}
	return s
}

// auditTable is the query audit's table (query.Audit writes it).
const auditTable = "query_log"

type principalKey struct{}

// PrincipalFrom returns the caller stored by the auth middleware.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// authenticator checks bearer tokens by their SHA-256, in constant time.
type authenticator struct {
	open   bool // no tokens: loopback-only, every caller is the local admin
	tokens map[[32]byte]Principal
}

func newAuthenticator(tokens []TokenConfig) *authenticator {
	a := &authenticator{open: len(tokens) == 0, tokens: map[[32]byte]Principal{}}
	for _, t := range tokens {
		a.tokens[sha256.Sum256([]byte(t.Token))] = Principal{Name: t.Name, Role: t.Role, Scopes: t.Scopes}
	}
	return a
}

func (a *authenticator) lookup(token string) (Principal, bool) {
	sum := sha256.Sum256([]byte(token))
	for k, p := range a.tokens {
		if subtle.ConstantTimeCompare(k[:], sum[:]) == 1 {
			return p, true
		}
	}
	return Principal{}, false
}

func (a *authenticator) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		var p Principal
		if a.open {
			p = Principal{Name: "local", Role: RoleAdmin}
		} else {
			// The scheme is case-insensitive (RFC 9110 §11.1): "bearer" is
			// as good as "Bearer".
			scheme, token, _ := strings.Cut(strings.TrimSpace(c.Request().Header.Get("Authorization")), " ")
			if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="logmart"`)
				return echo.NewHTTPError(401, "missing bearer token: send Authorization: Bearer <token>")
			}
			var ok bool
			if p, ok = a.lookup(strings.TrimSpace(token)); !ok {
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="logmart", error="invalid_token"`)
				return echo.NewHTTPError(401, "unknown or revoked token")
			}
		}
		ctx := context.WithValue(c.Request().Context(), principalKey{}, p)
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

// requireRole refuses callers whose role does not include need.
func requireRole(need Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p, _ := PrincipalFrom(c.Request().Context())
			if !p.Role.Allows(need) {
				return fault.New(fault.Forbidden, "role %s cannot do this: %s or above required", p.Role, need)
			}
			return next(c)
		}
	}
}

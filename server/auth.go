package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/ingest/archive"
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
	// Tiers are the storage tiers the caller reads (its token's, else its
	// role's); empty: all.
	Tiers []string `json:"tiers,omitempty"`
	// Budget is the caller's scan budget (its token's, else its role's);
	// zero Bytes: none.
	Budget ScanBudget `json:"scan_budget,omitzero"`

	// disks are the engine's disks per tier (store.TierDisks), for the
	// filter that hides the tiers the caller may not read.
	disks map[string][]string
}

// ScanBudget is a daily scan budget as the caller is told of it.
type ScanBudget struct {
	// Name says whose budget it is: "token NAME" or "role ROLE".
	Name string `json:"name"`
	// Bytes is how many bytes a UTC day's queries may read.
	Bytes uint64 `json:"bytes_per_day"`
	// User or Role is who counts against it: one token, or every holder
	// of the role.
	User string `json:"-"`
	Role string `json:"-"`
}

// readsTier reports whether p may read tier.
func (p Principal) readsTier(tier string) bool {
	return len(p.Tiers) == 0 || slices.Contains(p.Tiers, tier)
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
	p.tierFilters(&s)
	return s
}

// tierFilters adds to s what p's tiers and scopes ask of the tiered tables
// and of the archive read in place.
//
// A tier left out hides the parts on its disks: the filter on _disk_name
// is the engine's, on every read of logs, events and metrics, and it also
// prunes those parts from EXPLAIN ESTIMATE. Under a default-deny scope a
// table the scope does not name stays denied.
//
// The archive (ingest/archive/inplace.go) is read through archive_logs, a
// view over archive_lines. The scope that applies to archive_logs is the
// token's own on it, else its scope on logs, whose columns the view
// shares; archive_lines is then left open to the view, which reads it
// for the scoped statement: templates may not name archive_lines
// (query's template checks), and scoped tokens run no ad-hoc SQL. Without
// the archive tier both read as empty.
func (p Principal) tierFilters(s *store.Settings) {
	if f := store.DiskFilter(p.disks, p.Tiers); f != "" && len(p.Tiers) > 0 {
		if s.TableFilters == nil {
			s.TableFilters = map[string]string{}
		}
		for _, t := range store.TieredTables {
			scope, scoped := s.TableFilters[t]
			if s.DenyUnlisted && !scoped {
				continue
			}
			s.TableFilters[t] = store.AndFilter(scope, f)
		}
	}
	if !p.readsTier(store.TierArchive) {
		if s.TableFilters == nil {
			s.TableFilters = map[string]string{}
		}
		s.TableFilters[archive.InPlaceView], s.TableFilters[archive.LinesTable] = store.Deny, store.Deny
		return
	}
	if !s.DenyUnlisted {
		return
	}
	scope, ok := p.Scopes[archive.InPlaceView]
	if !ok {
		scope, ok = p.Scopes["logs"]
	}
	if ok {
		s.TableFilters[archive.InPlaceView], s.TableFilters[archive.LinesTable] = scope, "1"
	}
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
	local  Principal // the caller when open
}

// newAuthenticator resolves each token's tiers and scan budget against its
// role's limits; disks are the engine's disks per tier.
func newAuthenticator(cfg Config, disks map[string][]string) *authenticator {
	a := &authenticator{open: len(cfg.Tokens) == 0, tokens: map[[32]byte]Principal{}}
	resolve := func(p Principal, tiers []string, budget uint64) Principal {
		lim := cfg.Limits[p.Role]
		p.Tiers, p.disks = tiers, disks
		if len(p.Tiers) == 0 {
			p.Tiers = lim.Tiers
		}
		switch {
		case budget > 0:
			p.Budget = ScanBudget{Name: "token " + p.Name, Bytes: budget, User: p.Name}
		case lim.ScanBytesPerDay > 0:
			p.Budget = ScanBudget{Name: "role " + string(p.Role), Bytes: lim.ScanBytesPerDay, Role: string(p.Role)}
		}
		return p
	}
	a.local = resolve(Principal{Name: "local", Role: RoleAdmin}, nil, 0)
	for _, t := range cfg.Tokens {
		a.tokens[sha256.Sum256([]byte(t.Token))] = resolve(Principal{Name: t.Name, Role: t.Role, Scopes: t.Scopes}, t.Tiers, t.ScanBytesPerDay)
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
			p = a.local
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

package server

import (
	"fmt"
	"net"
	"os"
	"slices"
	"time"

	"github.com/logmart/logmart/store"
)

// Config configures the HTTP server, its tokens and the per-role limits.
type Config struct {
	// HTTPAddr is where the API and UI listen. Default 127.0.0.1:8080.
	HTTPAddr string `yaml:"http_addr"`
	// Tokens are the API tokens. With none, the server binds only to loopback
	// and treats every caller as a local admin.
	Tokens []TokenConfig `yaml:"tokens"`
	// Limits are enforced by ClickHouse on every query a role runs.
	Limits map[Role]Limits `yaml:"limits"`
	// ShutdownTimeout bounds the wait for in-flight requests at stop. Default 10s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// QueryQueueTimeout is how long a statement waits for one of its role's
	// query slots (limits.<role>.max_concurrent_queries) before the request
	// is refused with 503. Default 10s.
	QueryQueueTimeout time.Duration `yaml:"query_queue_timeout"`
	// MaxBodyBytes caps a request body, whether sent with a Content-Length
	// or chunked; a larger one is answered 413. Default 1048576 (1 MiB).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// AllowedHosts are the names the server answers to in the Host header;
	// any other Host is refused (403), which defeats DNS rebinding: a page
	// on an attacker's domain that resolves to 127.0.0.1 still sends its
	// own name. An entry is a name or IP ("logs.example.com", "10.0.0.5",
	// "[::1]"), which matches on any port, or a host:port, which matches on
	// that port only. "*" allows any Host and needs tokens. Browsers' writes
	// must come from an Origin that is the Host itself or matches an entry.
	// Default (empty): the host of http_addr, localhost, 127.0.0.1 and
	// [::1]; with http_addr on every interface (0.0.0.0, which needs
	// tokens), any Host.
	AllowedHosts []string `yaml:"allowed_hosts"`
	// TrustedProxies are the peers, as CIDRs or single IPs, whose
	// X-Forwarded-For header names the client in the access log. From any
	// other peer the header is ignored. Default none: the log records the
	// TCP peer only.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// ReadTimeout bounds reading one request, headers and body. Default 30s.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// WriteTimeout bounds sending one response, counted from when it is
	// ready (a query's own run time is bounded by limits.max_execution_time
	// instead). A client that stops reading is cut off after it, and the
	// result it held is freed. Default 30s.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// IdleTimeout closes a keep-alive connection with no request for this
	// long. Default 2m.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
}

// TokenConfig is one API token and what it may do.
type TokenConfig struct {
	// Name identifies the holder in logs and the query audit.
	Name string `yaml:"name"`
	// Token is the secret itself; prefer TokenEnv so no secret sits in a file.
	Token string `yaml:"token"`
	// TokenEnv names an environment variable holding the secret.
	TokenEnv string `yaml:"token_env"`
	// Role is viewer, editor or admin.
	Role Role `yaml:"role"`
	// Scopes restrict what the holder can read, per table, as a ClickHouse
	// filter expression (for example logs: "stream IN ('payments')"). The
	// engine applies it to every read of that table. A scope on logs also
	// applies to the archive read in place (archive_logs), unless the
	// token has a scope of its own on archive_logs.
	Scopes map[string]string `yaml:"scopes"`
	// Tiers are the storage tiers the holder reads, replacing its role's
	// limits.<role>.tiers: any of hot, warm, cold and archive (the archive
	// read in place). Rows of a tier left out read as empty, which the
	// engine enforces on every read (a filter on the part's disk). Default
	// (empty): the role's.
	Tiers []string `yaml:"tiers"`
	// ScanBytesPerDay is the holder's scan budget: the bytes its queries
	// may read in a UTC day, counted in the query audit, replacing its
	// role's limits.<role>.scan_bytes_per_day. A query asked for once the
	// day's budget is spent is refused with 429 until midnight UTC. 0: the
	// role's.
	ScanBytesPerDay uint64 `yaml:"scan_bytes_per_day"`
}

// Limits are ClickHouse settings applied to a role's queries.
type Limits struct {
	// MaxExecutionTime stops a query after this long. 0: no limit.
	MaxExecutionTime time.Duration `yaml:"max_execution_time"`
	// MaxResultRows fails a query whose result has more rows. 0: no limit.
	MaxResultRows uint64 `yaml:"max_result_rows"`
	// MaxRowsToRead fails a query that would read more rows. 0: no limit.
	MaxRowsToRead uint64 `yaml:"max_rows_to_read"`
	// MaxMemoryUsage fails a query needing more bytes. 0: no limit.
	MaxMemoryUsage uint64 `yaml:"max_memory_usage"`
	// MaxConcurrentQueries is how many of the role's statements run at
	// once; more wait up to query_queue_timeout (cached answers never wait). Each role has its own,
	// so one cannot starve another. Defaults: viewer 4, editor 2, admin 2
	// (their sum is store.chdb.read_connections' default). 0: unbounded.
	MaxConcurrentQueries int `yaml:"max_concurrent_queries"`
	// Tiers are the storage tiers the role reads: any of hot, warm, cold
	// and archive. [hot, warm] keeps dashboards fast and makes a cold scan
	// a deliberate act of a token allowed it (tokens[].tiers). Default
	// (empty): all.
	Tiers []string `yaml:"tiers"`
	// ScanBytesPerDay is the role's scan budget: the bytes all its
	// holders' queries may read in a UTC day together, counted in the
	// query audit (query_log.bytes_read; the embedded engine has no
	// ClickHouse quotas). A query asked for once it is spent is refused
	// with 429 until midnight UTC; the query that crosses it still runs.
	// 0: no budget.
	ScanBytesPerDay uint64 `yaml:"scan_bytes_per_day"`
}

// QueryBudgets are the per-role statement budgets for store.NewGated
// (limits.<role>.max_concurrent_queries), keyed like Principal.Settings'
// Pool.
func (c Config) QueryBudgets() map[string]int {
	out := make(map[string]int, len(c.Limits))
	for r, l := range c.Limits {
		out[string(r)] = l.MaxConcurrentQueries
	}
	return out
}

// Default returns the defaults documented on Config.
func Default() Config {
	return Config{
		HTTPAddr:          "127.0.0.1:8080",
		ShutdownTimeout:   10 * time.Second,
		QueryQueueTimeout: 10 * time.Second,
		MaxBodyBytes:      1 << 20,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		Limits: map[Role]Limits{
			RoleViewer: {MaxExecutionTime: 30 * time.Second, MaxResultRows: 100_000, MaxRowsToRead: 2_000_000_000, MaxMemoryUsage: 2 << 30, MaxConcurrentQueries: 4},
			RoleEditor: {MaxExecutionTime: 60 * time.Second, MaxResultRows: 500_000, MaxRowsToRead: 10_000_000_000, MaxMemoryUsage: 4 << 30, MaxConcurrentQueries: 2},
			RoleAdmin:  {MaxExecutionTime: 300 * time.Second, MaxResultRows: 1_000_000, MaxMemoryUsage: 8 << 30, MaxConcurrentQueries: 2},
		},
	}
}

// Validate reports the first field a user must fix. Secrets named by
// token_env are read here, so a missing variable fails at start.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return fmt.Errorf("server.http_addr %q is not host:port: %w", c.HTTPAddr, err)
	}
	if c.ShutdownTimeout <= 0 {
		return fmt.Errorf("server.shutdown_timeout must be positive, got %s", c.ShutdownTimeout)
	}
	if c.MaxBodyBytes < 1024 {
		return fmt.Errorf("server.max_body_bytes must be at least 1024, got %d", c.MaxBodyBytes)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"read_timeout", c.ReadTimeout}, {"write_timeout", c.WriteTimeout}, {"idle_timeout", c.IdleTimeout}} {
		if d.v <= 0 {
			return fmt.Errorf("server.%s must be positive, got %s", d.name, d.v)
		}
	}
	for i, h := range c.AllowedHosts {
		if h == "*" {
			if len(c.Tokens) == 0 {
				return fmt.Errorf("server.allowed_hosts[%d]: \"*\" (any Host) needs server.tokens: without tokens every caller is admin, and any web page could reach the server through DNS rebinding", i)
			}
			continue
		}
		if _, _, ok := parseHostEntry(h); !ok {
			return fmt.Errorf("server.allowed_hosts[%d] %q is not a host name, IP, or host:port", i, h)
		}
	}
	for i, p := range c.TrustedProxies {
		if _, err := parseCIDR(p); err != nil {
			return fmt.Errorf("server.trusted_proxies[%d] %q is not a CIDR (10.0.0.0/8) or an IP address", i, p)
		}
	}
	if c.QueryQueueTimeout <= 0 {
		return fmt.Errorf("server.query_queue_timeout must be positive, got %s", c.QueryQueueTimeout)
	}
	for r, l := range c.Limits {
		if !r.Valid() {
			return fmt.Errorf("server.limits: unknown role %q (want viewer, editor or admin)", r)
		}
		if l.MaxConcurrentQueries < 0 {
			return fmt.Errorf("server.limits.%s.max_concurrent_queries must be 0 (unbounded) or more, got %d", r, l.MaxConcurrentQueries)
		}
		if err := checkTiers(fmt.Sprintf("server.limits.%s.tiers", r), l.Tiers); err != nil {
			return err
		}
	}
	seen := map[string]string{}
	names := map[string]bool{}
	for i := range c.Tokens {
		t := &c.Tokens[i]
		where := fmt.Sprintf("server.tokens[%d]", i)
		if t.Name == "" {
			return fmt.Errorf("%s.name is required", where)
		}
		if names[t.Name] {
			return fmt.Errorf("%s.name %q is used twice", where, t.Name)
		}
		names[t.Name] = true
		if !t.Role.Valid() {
			return fmt.Errorf("%s.role %q must be viewer, editor or admin", where, t.Role)
		}
		if t.TokenEnv != "" {
			if t.Token != "" {
				return fmt.Errorf("%s: set token or token_env, not both", where)
			}
			t.Token = os.Getenv(t.TokenEnv)
			if t.Token == "" {
				return fmt.Errorf("%s.token_env: environment variable %s is empty or unset", where, t.TokenEnv)
			}
		}
		if len(t.Token) < 16 {
			return fmt.Errorf("%s (%s): token must be at least 16 characters", where, t.Name)
		}
		if other, ok := seen[t.Token]; ok {
			return fmt.Errorf("%s (%s): same token as %s", where, t.Name, other)
		}
		seen[t.Token] = t.Name
		for table, filter := range t.Scopes {
			if table == "" || filter == "" {
				return fmt.Errorf("%s.scopes: table and filter must both be set", where)
			}
		}
		if err := checkTiers(where+".tiers", t.Tiers); err != nil {
			return err
		}
	}
	if len(c.Tokens) == 0 && !loopback(c.HTTPAddr) {
		return fmt.Errorf("server.http_addr %q is not a loopback address and no server.tokens are configured: add tokens or bind to 127.0.0.1", c.HTTPAddr)
	}
	return nil
}

// checkTiers checks a list of tiers, named by key in errors.
func checkTiers(key string, tiers []string) error {
	seen := map[string]bool{}
	for i, t := range tiers {
		if !slices.Contains(store.Tiers, t) {
			return fmt.Errorf("%s[%d] %q is not a tier (want hot, warm, cold or archive)", key, i, t)
		}
		if seen[t] {
			return fmt.Errorf("%s[%d] %q is listed twice", key, i, t)
		}
		seen[t] = true
	}
	return nil
}

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parseCIDR reads a CIDR, or a single IP as a one-address network.
func parseCIDR(s string) (*net.IPNet, error) {
	if ip := net.ParseIP(s); ip != nil {
		bits := 128
		if ip4 := ip.To4(); ip4 != nil {
			ip, bits = ip4, 32
		}
		return &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}, nil
	}
	_, n, err := net.ParseCIDR(s)
	return n, err
}

package server

import (
	"fmt"
	"net"
	"os"
	"time"
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
	// MaxBodyBytes caps a request body. Default 1048576 (1 MiB).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
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
	// engine applies it to every read of that table.
	Scopes map[string]string `yaml:"scopes"`
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
}

// Default returns the defaults documented on Config.
func Default() Config {
	return Config{
		HTTPAddr:        "127.0.0.1:8080",
		ShutdownTimeout: 10 * time.Second,
		MaxBodyBytes:    1 << 20,
		Limits: map[Role]Limits{
			RoleViewer: {MaxExecutionTime: 30 * time.Second, MaxResultRows: 100_000, MaxRowsToRead: 2_000_000_000, MaxMemoryUsage: 2 << 30},
			RoleEditor: {MaxExecutionTime: 60 * time.Second, MaxResultRows: 500_000, MaxRowsToRead: 10_000_000_000, MaxMemoryUsage: 4 << 30},
			RoleAdmin:  {MaxExecutionTime: 300 * time.Second, MaxResultRows: 1_000_000, MaxMemoryUsage: 8 << 30},
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
	for r := range c.Limits {
		if !r.Valid() {
			return fmt.Errorf("server.limits: unknown role %q (want viewer, editor or admin)", r)
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
	}
	if len(c.Tokens) == 0 && !loopback(c.HTTPAddr) {
		return fmt.Errorf("server.http_addr %q is not a loopback address and no server.tokens are configured: add tokens or bind to 127.0.0.1", c.HTTPAddr)
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

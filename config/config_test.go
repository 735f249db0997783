package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestGoodFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.good.yaml")
	if len(files) == 0 {
		t.Fatal("no good fixtures")
	}
	for _, f := range files {
		cfg, err := Load(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		cfg.Resolve()
		if err := cfg.Validate(); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
}

func TestShippedConfigIsValid(t *testing.T) {
	cfg, err := Load("../configs/logmart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Resolve()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

// goTypeRe finds a Go type name (kafka.TLSConfig, time.Duration) in a message.
var goTypeRe = regexp.MustCompile(`\b[a-z]+\.[A-Z][A-Za-z]+\b`)

// Each bad file and the error text a user sees.
func TestBadFiles(t *testing.T) {
	cases := map[string]string{
		"unknown_key.bad.yaml":    `testdata/unknown_key.bad.yaml: line 3: unknown key "http_adress" (in server)`,
		"wrong_type.bad.yaml":     `line 3: value "many" has the wrong type, want a whole number`,
		"open_bind.bad.yaml":      `server.http_addr "0.0.0.0:8080" is not a loopback address and no server.tokens are configured`,
		"bad_role.bad.yaml":       `server.tokens[0].role "superuser" must be viewer, editor or admin`,
		"bad_tier.bad.yaml":       `server.limits.viewer.tiers[1] "glacier" is not a tier (want hot, warm, cold or archive)`,
		"bad_token_tier.bad.yaml": `server.tokens[0].tiers[1] "hot" is listed twice`,
		"missing_env.bad.yaml":    `server.tokens[0].token_env: environment variable LOGMART_TEST_TOKEN_THAT_IS_NOT_SET is empty or unset`,
		"bad_engine.bad.yaml":     `store.engine "postgres" must be chdb or remote`,
		"bad_database.bad.yaml":   `store.database "logs-prod" must be a letter or _, then letters, digits and _, at most 128 in all`,
		"bad_ingest.bad.yaml":     `ingest.topics[0].table "traces" must be logs, events or metrics`,
		"bad_inserts.bad.yaml":    `ingest.max_concurrent_inserts must be between 0 (one per core) and 1024, got -1`,
		"bad_idle.bad.yaml":       `ingest.batch.idle must be 0 (off) or positive, got -5ms`,
		"bad_links.bad.yaml":      `links.snapshot_retention_days must be between 1 and 3650, got 0`,
		"syntax.bad.yaml":         `testdata/syntax.bad.yaml: line 1: did not find expected`,

		"bad_allowed_hosts.bad.yaml": `server.allowed_hosts[0] "http://logs.example.com" is not a host name, IP, or host:port`,
		"any_host_open.bad.yaml":     `server.allowed_hosts[0]: "*" (any Host) needs server.tokens`,
		"bad_proxies.bad.yaml":       `server.trusted_proxies[0] "10.0.0.0/33" is not a CIDR (10.0.0.0/8) or an IP address`,
		"bad_read_timeout.bad.yaml":  `server.read_timeout must be positive, got -1s`,
		"bad_write_timeout.bad.yaml": `server.write_timeout must be positive, got 0s`,
		"bad_idle_timeout.bad.yaml":  `server.idle_timeout must be positive, got -5s`,

		// Issue 13: these named Go types (kafka.TLSConfig, time.Duration),
		// and tls took "enable" under store.remote but "enabled" under kafka.
		"kafka_tls_enable.bad.yaml":  `line 2: unknown key "enable" (in kafka.tls); did you mean "enabled"?`,
		"remote_tls_enable.bad.yaml": `line 3: unknown key "enable" (in store.remote.tls); did you mean "enabled"?`,
		"bad_duration.bad.yaml":      `line 2: value "fast" has the wrong type, want a duration such as 500ms, 30s, 5m or 1h`,
		"tls_not_section.bad.yaml":   `line 2: value "yes" has the wrong type, want the section kafka.tls (keys and values)`,
	}
	files, _ := filepath.Glob("testdata/*.bad.yaml")
	if len(files) != len(cases) {
		t.Fatalf("%d bad fixtures but %d expectations", len(files), len(cases))
	}
	for name, want := range cases {
		cfg, err := Load(filepath.Join("testdata", name))
		if err == nil {
			cfg.Resolve()
			err = cfg.Validate()
		}
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s:\n got  %v\n want %s", name, err, want)
		}
		if m := goTypeRe.FindString(err.Error()); m != "" {
			t.Errorf("%s: the message names the Go type %s: %v", name, m, err)
		}
	}
}

func TestEnvOverridesSecrets(t *testing.T) {
	t.Setenv(EnvClickHousePassword, "s3cret")
	t.Setenv(EnvKafkaPassword, "k4fka")
	cfg := Default()
	cfg.ApplyEnv()
	if cfg.Store.Remote.Password != "s3cret" || cfg.Kafka.SASL.Password != "k4fka" {
		t.Fatalf("env not applied: %q %q", cfg.Store.Remote.Password, cfg.Kafka.SASL.Password)
	}
}

func TestTokenFromEnv(t *testing.T) {
	t.Setenv("LOGMART_TEST_ADMIN", "abcdefghijklmnopqrstuvwxyz")
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	os.WriteFile(p, []byte("server:\n  http_addr: 0.0.0.0:8080\n  tokens:\n    - {name: ops, role: admin, token_env: LOGMART_TEST_ADMIN}\n"), 0o644)
	cfg, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Resolve()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Tokens[0].Token != "abcdefghijklmnopqrstuvwxyz" {
		t.Fatal("token not read from env")
	}
}

// Issue 13, defect 2: configs/logmart.yaml says an omitted key keeps the
// default it shows, but the built-in default of ingest.streams_file was empty,
// so a minimal config silently turned stream routing off (and a token scoped
// to one stream saw nothing). An empty file and the shipped file must load
// equal so the two cannot drift again.
func TestEmptyConfigEqualsShipped(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.yaml")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Load(empty)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Load("../configs/logmart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Compared as YAML, so a nil list and an empty one ([]) are the same.
	gotY, err := yaml.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	wantY, err := yaml.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	g, w := strings.Split(string(gotY), "\n"), strings.Split(string(wantY), "\n")
	if len(g) != len(w) {
		t.Fatalf("an empty config and configs/logmart.yaml load differently:\nempty:\n%s\nshipped:\n%s", gotY, wantY)
	}
	for i := range g {
		if g[i] != w[i] {
			t.Errorf("line %d: empty config %q, shipped config %q", i+1, g[i], w[i])
		}
	}
}

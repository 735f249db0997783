package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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

// Each bad file and the error text a user sees.
func TestBadFiles(t *testing.T) {
	cases := map[string]string{
		"unknown_key.bad.yaml":  `testdata/unknown_key.bad.yaml: line 3: unknown key "http_adress" (in server)`,
		"wrong_type.bad.yaml":   `line 3: value "many" has the wrong type, want int`,
		"open_bind.bad.yaml":    `server.http_addr "0.0.0.0:8080" is not a loopback address and no server.tokens are configured`,
		"bad_role.bad.yaml":     `server.tokens[0].role "superuser" must be viewer, editor or admin`,
		"missing_env.bad.yaml":  `server.tokens[0].token_env: environment variable LOGMART_TEST_TOKEN_THAT_IS_NOT_SET is empty or unset`,
		"bad_engine.bad.yaml":   `store.engine "postgres" must be chdb or remote`,
		"bad_database.bad.yaml": `store.database "logs-prod" must be a letter or _, then letters, digits and _, at most 128 in all`,
		"bad_ingest.bad.yaml":   `ingest.topics[0].table "traces" must be logs, events or metrics`,
		"bad_inserts.bad.yaml":  `ingest.max_concurrent_inserts must be between 0 (one per core) and 1024, got -1`,
		"bad_idle.bad.yaml":     `ingest.batch.idle must be 0 (off) or positive, got -5ms`,
		"bad_links.bad.yaml":    `links.snapshot_retention_days must be between 1 and 3650, got 0`,
		"syntax.bad.yaml":       `testdata/syntax.bad.yaml: line 1: did not find expected`,

		"bad_allowed_hosts.bad.yaml": `server.allowed_hosts[0] "http://logs.example.com" is not a host name, IP, or host:port`,
		"any_host_open.bad.yaml":     `server.allowed_hosts[0]: "*" (any Host) needs server.tokens`,
		"bad_proxies.bad.yaml":       `server.trusted_proxies[0] "10.0.0.0/33" is not a CIDR (10.0.0.0/8) or an IP address`,
		"bad_read_timeout.bad.yaml":  `server.read_timeout must be positive, got -1s`,
		"bad_write_timeout.bad.yaml": `server.write_timeout must be positive, got 0s`,
		"bad_idle_timeout.bad.yaml":  `server.idle_timeout must be positive, got -5s`,
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

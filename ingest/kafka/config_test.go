package kafka

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// loadFile decodes a `kafka:` section strictly over Default(), the way the
// top-level config loader does, and validates it.
func loadFile(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	doc := struct {
		Kafka Config `yaml:"kafka"`
	}{Kafka: Default()}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return Config{}, err
	}
	return doc.Kafka, doc.Kafka.Validate()
}

func TestConfigFiles(t *testing.T) {
	good, _ := filepath.Glob("testdata/*.good.yaml")
	if len(good) == 0 {
		t.Fatal("no testdata/*.good.yaml")
	}
	for _, f := range good {
		if _, err := loadFile(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}

	bad := map[string]string{
		"unknown_key.bad.yaml":           "field partitons not found",
		"listen.bad.yaml":                `kafka.listen "abc" is not host:port`,
		"brokers_missing.bad.yaml":       "kafka.brokers is empty",
		"brokers_with_embedded.bad.yaml": "kafka.brokers is set but kafka.embedded is true",
		"broker_port.bad.yaml":           `kafka.brokers[1] "kafka-2:http" is not host:port`,
		"mechanism.bad.yaml":             `kafka.sasl.mechanism "GSSAPI" is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512`,
		"sasl_password.bad.yaml":         "kafka.sasl.password is required with kafka.sasl.mechanism SCRAM-SHA-256",
		"topic_name.bad.yaml":            `kafka.topics[1] "logs/eu" is not a valid topic name: character '/' is not allowed`,
		"partitions.bad.yaml":            "kafka.partitions must be between 1 and 10000, got 0",
		"tls_disabled.bad.yaml":          "kafka.tls.ca_file is set but kafka.tls.enabled is false",
		"tls_embedded_cert.bad.yaml":     "kafka.tls.cert_file and kafka.tls.key_file are required",
		"retention.bad.yaml":             "kafka.retention 10s is shorter than 1m",
	}
	files, _ := filepath.Glob("testdata/*.bad.yaml")
	for _, f := range files {
		if _, ok := bad[filepath.Base(f)]; !ok {
			t.Errorf("%s has no expected error in the table", f)
		}
	}
	for name, want := range bad {
		_, err := loadFile(filepath.Join("testdata", name))
		if err == nil {
			t.Errorf("%s: no error, want %q", name, want)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %q does not contain %q", name, err, want)
		}
	}
}

func TestConfigDefaultsSurviveDecoding(t *testing.T) {
	cfg, err := loadFile("testdata/empty.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	if !cfg.Embedded || cfg.Listen != want.Listen || cfg.Partitions != 4 || len(cfg.Topics) != 4 || cfg.Retention != 24*time.Hour {
		t.Fatalf("defaults lost in decoding: %+v", cfg)
	}
	cfg, err = loadFile("testdata/embedded.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Retention != 72*time.Hour || cfg.Partitions != 8 || cfg.SASL.Mechanism != MechanismScramSHA512 {
		t.Fatalf("decoded %+v", cfg)
	}
}

func TestConfigValidate(t *testing.T) {
	f := func(mutate func(*Config), want string) {
		t.Helper()
		cfg := Default()
		mutate(&cfg)
		err := cfg.Validate()
		switch {
		case want == "" && err != nil:
			t.Errorf("unexpected error: %v", err)
		case want != "" && err == nil:
			t.Errorf("no error, want %q", want)
		case want != "" && !strings.Contains(err.Error(), want):
			t.Errorf("error %q does not contain %q", err, want)
		}
	}

	// Good.
	f(func(*Config) {}, "")
	f(func(c *Config) { c.Listen = ":9092" }, "")
	f(func(c *Config) { c.Listen = "[::1]:0" }, "")
	f(func(c *Config) { c.Listen = "localhost:19092" }, "")
	f(func(c *Config) { c.Topics = nil }, "")
	f(func(c *Config) { c.Retention = 0 }, "")
	f(func(c *Config) { c.Embedded, c.Brokers = false, []string{"k1:9092", "k2:9092"} }, "")
	f(func(c *Config) {
		c.TLS = TLSConfig{Enabled: true, CertFile: "c.pem", KeyFile: "k.pem", InsecureSkipVerify: true}
	}, "")
	f(func(c *Config) { c.SASL = SASLConfig{Mechanism: "PLAIN", Username: "u", Password: "p"} }, "")

	// Bad.
	f(func(c *Config) { c.Listen = "abc" }, `kafka.listen "abc" is not host:port`)
	f(func(c *Config) { c.Listen = "" }, `kafka.listen "" is not host:port`)
	f(func(c *Config) { c.Listen = "127.0.0.1:70000" }, `kafka.listen "127.0.0.1:70000" is not host:port: port "70000" is not a number between 0 and 65535`)
	f(func(c *Config) { c.Listen = "127.0.0.1:-1" }, `kafka.listen "127.0.0.1:-1" is not host:port`)
	f(func(c *Config) { c.AdvertisedAddr = "example.com" }, `kafka.advertised_addr "example.com" is not host:port`)
	f(func(c *Config) { c.AdvertisedAddr = "example.com:0" }, `kafka.advertised_addr "example.com:0" needs the port clients connect to`)
	f(func(c *Config) { c.Embedded = false }, "kafka.brokers is empty")
	f(func(c *Config) { c.Embedded, c.Brokers = false, []string{"k1"} }, `kafka.brokers[0] "k1" is not host:port`)
	f(func(c *Config) { c.Partitions = -3 }, "kafka.partitions must be between 1 and 10000, got -3")
	f(func(c *Config) { c.Topics = []string{"logs", ""} }, `kafka.topics[1] "" is not a valid topic name: empty`)
	f(func(c *Config) { c.Topics = []string{".."} }, `kafka.topics[0] ".." is not a valid topic name`)
	f(func(c *Config) { c.Topics = []string{strings.Repeat("x", 250)} }, "250 characters long, at most 249 allowed")
	f(func(c *Config) { c.Topics = []string{"logs", "logs"} }, `kafka.topics[1] "logs" is listed twice`)
	f(func(c *Config) { c.Topics = []string{"logs'; DROP TABLE logs"} }, `character '\'' is not allowed`)
	f(func(c *Config) { c.Retention = -time.Hour }, "kafka.retention must be 0 (keep forever) or positive, got -1h0m0s")
	f(func(c *Config) { c.SASL.Mechanism = "scram-sha-256" }, `kafka.sasl.mechanism "scram-sha-256" is not one of`)
	f(func(c *Config) { c.SASL = SASLConfig{Mechanism: "PLAIN", Password: "p"} }, "kafka.sasl.username is required with kafka.sasl.mechanism PLAIN")
	f(func(c *Config) { c.SASL.Username = "u" }, "kafka.sasl.username or kafka.sasl.password is set but kafka.sasl.mechanism is empty")
	f(func(c *Config) { c.TLS.InsecureSkipVerify = true }, "kafka.tls.insecure_skip_verify is set but kafka.tls.enabled is false")
	f(func(c *Config) {
		c.Embedded, c.Brokers = false, []string{"k:9092"}
		c.TLS = TLSConfig{Enabled: true, CertFile: "c.pem"}
	}, "kafka.tls.cert_file and kafka.tls.key_file must be set together")
	f(func(c *Config) { c.ClientID = strings.Repeat("c", 256) }, "kafka.client_id is 256 characters long")
}

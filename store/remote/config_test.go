package remote

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// loadFile decodes a `remote:` section strictly over Default(), the way the
// top-level config loader does, and validates it.
func loadFile(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	doc := struct {
		Remote Config `yaml:"remote"`
	}{Remote: Default()}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return Config{}, err
	}
	return doc.Remote, doc.Remote.Validate()
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
		"unknown_key.bad.yaml":    "field adress not found",
		"addr_empty.bad.yaml":     "store.remote.addr must list at least one host:port",
		"addr_port.bad.yaml":      `store.remote.addr[1] "ch-2" is not host:port: missing port in address`,
		"compression.bad.yaml":    `store.remote.compression must be lz4, zstd or none, got "gzip"`,
		"cluster_name.bad.yaml":   "store.remote.cluster \"prod`; DROP DATABASE logs\" is not a cluster name",
		"dial_timeout.bad.yaml":   "store.remote.dial_timeout must be positive (for example 10s), got 0s",
		"max_open_conns.bad.yaml": "store.remote.max_open_conns must be between 1 and 1024, got 0",
		"tls_disabled.bad.yaml":   "store.remote.tls.ca_file is set but store.remote.tls.enabled is false",
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

func TestConfigDecodesEveryKey(t *testing.T) {
	got, err := loadFile("testdata/cluster.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Addr:         []string{"ch-1.internal:9440", "ch-2.internal:9440", "[fd00::3]:9440"},
		Username:     "logmart",
		TLS:          TLSConfig{Enabled: true, ServerName: "clickhouse.internal"},
		Cluster:      "logs-prod",
		DialTimeout:  5 * time.Second,
		MaxOpenConns: 32,
		Compression:  "zstd",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", got, want)
	}
	got, err = loadFile("testdata/empty.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, Default()) {
		t.Fatalf("an empty section gave %+v, want the defaults %+v", got, Default())
	}
}

func TestConfigValidate(t *testing.T) {
	f := func(edit func(*Config), want string) {
		t.Helper()
		c := Default()
		edit(&c)
		err := c.Validate()
		switch {
		case want == "" && err != nil:
			t.Errorf("want no error, got %q", err)
		case want != "" && err == nil:
			t.Errorf("want %q, got no error", want)
		case want != "" && err.Error() != want:
			t.Errorf("error\n%q\nwant\n%q", err, want)
		}
	}
	f(func(c *Config) {}, "")
	f(func(c *Config) { c.Addr = []string{"10.0.0.1:9000", "[::1]:9440", "ch.example.com:1"} }, "")
	f(func(c *Config) { c.Cluster = "logs_prod.eu-1" }, "")
	f(func(c *Config) { c.Compression = "none" }, "")
	f(func(c *Config) { c.TLS = TLSConfig{Enabled: true, InsecureSkipVerify: true, ServerName: "ch"} }, "")
	f(func(c *Config) { c.MaxOpenConns = 1024 }, "")

	f(func(c *Config) { c.Addr = nil }, "store.remote.addr must list at least one host:port")
	f(func(c *Config) { c.Addr = []string{"ch"} }, `store.remote.addr[0] "ch" is not host:port: missing port in address`)
	f(func(c *Config) { c.Addr = []string{"ch:9000", ":9000"} }, `store.remote.addr[1] ":9000" is not host:port: the host is missing or has spaces or slashes`)
	f(func(c *Config) { c.Addr = []string{"ch:native"} }, `store.remote.addr[0] "ch:native" is not host:port: the port must be a number from 1 to 65535`)
	f(func(c *Config) { c.Addr = []string{"ch:70000"} }, `store.remote.addr[0] "ch:70000" is not host:port: the port must be a number from 1 to 65535`)
	f(func(c *Config) { c.Addr = []string{"tcp://ch:9000"} }, `store.remote.addr[0] "tcp://ch:9000" is not host:port: too many colons in address`)
	f(func(c *Config) { c.Addr = []string{"ch/x:9000"} }, `store.remote.addr[0] "ch/x:9000" is not host:port: the host is missing or has spaces or slashes`)
	f(func(c *Config) { c.Cluster = "a b" }, `store.remote.cluster "a b" is not a cluster name (letters, digits, _, ., -)`)
	f(func(c *Config) { c.Cluster = "x`y" }, "store.remote.cluster \"x`y\" is not a cluster name (letters, digits, _, ., -)")
	f(func(c *Config) { c.DialTimeout = -time.Second }, "store.remote.dial_timeout must be positive (for example 10s), got -1s")
	f(func(c *Config) { c.MaxOpenConns = 1025 }, "store.remote.max_open_conns must be between 1 and 1024, got 1025")
	f(func(c *Config) { c.Compression = "" }, `store.remote.compression must be lz4, zstd or none, got ""`)
	f(func(c *Config) { c.Compression = "LZ4" }, `store.remote.compression must be lz4, zstd or none, got "LZ4"`)
	f(func(c *Config) { c.TLS.InsecureSkipVerify = true }, "store.remote.tls.insecure_skip_verify is set but store.remote.tls.enabled is false")
	f(func(c *Config) { c.TLS.ServerName = "ch" }, "store.remote.tls.server_name is set but store.remote.tls.enabled is false")
}

func TestConfigPrintsNoPassword(t *testing.T) {
	c := Default()
	c.Password = "hunter2-s3cret"
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, c)
		if strings.Contains(out, "hunter2") || !strings.Contains(out, "[REDACTED]") {
			t.Errorf("%s printed %s", format, out)
		}
	}
	// Nested in the top-level configuration too.
	out := fmt.Sprintf("%+v", struct{ Remote Config }{c})
	if strings.Contains(out, "hunter2") {
		t.Errorf("nested: %s", out)
	}
	if c.Password != "hunter2-s3cret" {
		t.Fatal("printing changed the password")
	}
}

func TestTLSConfig(t *testing.T) {
	off, err := TLSConfig{}.tlsConfig()
	if off != nil || err != nil {
		t.Fatalf("TLS off: %v, %v", off, err)
	}

	dir := t.TempDir()
	_, err = TLSConfig{Enabled: true, CAFile: filepath.Join(dir, "missing.pem")}.tlsConfig()
	if err == nil || !strings.HasPrefix(err.Error(), `cannot read store.remote.tls.ca_file "`) {
		t.Fatalf("missing CA file: %v", err)
	}

	junk := filepath.Join(dir, "junk.pem")
	os.WriteFile(junk, []byte("not a certificate"), 0o600)
	_, err = TLSConfig{Enabled: true, CAFile: junk}.tlsConfig()
	if err == nil || err.Error() != `store.remote.tls.ca_file "`+junk+`" holds no PEM certificate` {
		t.Fatalf("junk CA file: %v", err)
	}

	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, selfSignedPEM(t), 0o600)
	c, err := TLSConfig{Enabled: true, CAFile: ca, ServerName: "ch.internal"}.tlsConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.RootCAs == nil || c.ServerName != "ch.internal" || c.InsecureSkipVerify {
		t.Fatalf("tls config = %+v", c)
	}
}

func selfSignedPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "logmart test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

package remote

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// Config configures the connection to a ClickHouse server or cluster. It is
// the store.remote section of logmart's configuration.
type Config struct {
	// Addr lists the servers' native-protocol endpoints as host:port (port
	// 9000, or 9440 with TLS, on a stock server). Connections are spread over
	// them round-robin, and a host that cannot be reached is skipped.
	// Default: ["localhost:9000"].
	Addr []string `yaml:"addr"`
	// Username is the ClickHouse user. Default: "default".
	Username string `yaml:"username"`
	// Password is the user's password. Keep it out of configuration files:
	// the top-level configuration fills it from the environment variable
	// LOGMART_CLICKHOUSE_PASSWORD. Default: empty.
	Password string `yaml:"password"`
	// TLS encrypts the connections. Default: off.
	TLS TLSConfig `yaml:"tls"`
	// Cluster is the cluster name (from the server's remote_servers) that DDL
	// runs ON CLUSTER with. Empty means a single node. Default: empty.
	Cluster string `yaml:"cluster"`
	// DialTimeout bounds connecting to one server, and also the wait for a
	// free connection when all MaxOpenConns are busy: a query that cannot get
	// a connection in time fails as unavailable. Default: 10s.
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// MaxOpenConns caps the connections open at once, so the statements
	// running at once. More lets slow queries run beside fast ones; each one
	// costs a server thread. Default: 16.
	MaxOpenConns int `yaml:"max_open_conns"`
	// Compression is the wire compression of data blocks: lz4 (cheap on CPU,
	// the usual choice), zstd (smaller, for slow links) or none. Default: lz4.
	Compression string `yaml:"compression"`
}

// TLSConfig configures TLS to the servers. The fields other than Enabled are
// errors when Enabled is false, so a half-written section is not silently
// ignored.
type TLSConfig struct {
	// Enabled turns TLS on. Default: false. The key is "enabled", as in
	// kafka.tls.
	Enabled bool `yaml:"enabled"`
	// CAFile is a PEM file of the certificate authorities that sign the
	// servers' certificates. Empty: the system's roots. Default: empty.
	CAFile string `yaml:"ca_file"`
	// InsecureSkipVerify accepts any server certificate. For tests only: it
	// leaves the connection open to interception. Default: false.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
	// ServerName is the name checked against the servers' certificates.
	// Empty: the host of each address. Default: empty.
	ServerName string `yaml:"server_name"`
}

// Default returns the defaults documented on Config.
func Default() Config {
	return Config{
		Addr:         []string{"localhost:9000"},
		Username:     "default",
		DialTimeout:  10 * time.Second,
		MaxOpenConns: 16,
		Compression:  "lz4",
	}
}

// String prints the configuration with the password redacted, so a logged
// or printed Config cannot leak it.
func (c Config) String() string {
	if c.Password != "" {
		c.Password = "[REDACTED]"
	}
	type plain Config // without this method
	return fmt.Sprintf("%+v", plain(c))
}

// GoString redacts the password for %#v as String does for %v.
func (c Config) GoString() string { return "remote.Config" + c.String() }

// maxOpenConnsLimit keeps a typo (16000 for 16) from exhausting the server's
// threads.
const maxOpenConnsLimit = 1024

var clusterRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// Validate reports the first field a user must fix, named as it is in the
// configuration file.
func (c Config) Validate() error {
	if len(c.Addr) == 0 {
		return fmt.Errorf("store.remote.addr must list at least one host:port")
	}
	for i, a := range c.Addr {
		if err := checkAddr(a); err != nil {
			return fmt.Errorf("store.remote.addr[%d] %q is not host:port: %s", i, a, err)
		}
	}
	if c.Cluster != "" && !clusterRe.MatchString(c.Cluster) {
		return fmt.Errorf("store.remote.cluster %q is not a cluster name (letters, digits, _, ., -)", c.Cluster)
	}
	if c.DialTimeout <= 0 {
		return fmt.Errorf("store.remote.dial_timeout must be positive (for example 10s), got %s", c.DialTimeout)
	}
	if c.MaxOpenConns < 1 || c.MaxOpenConns > maxOpenConnsLimit {
		return fmt.Errorf("store.remote.max_open_conns must be between 1 and %d, got %d", maxOpenConnsLimit, c.MaxOpenConns)
	}
	if _, ok := compressions[c.Compression]; !ok {
		return fmt.Errorf("store.remote.compression must be lz4, zstd or none, got %q", c.Compression)
	}
	if !c.TLS.Enabled {
		switch {
		case c.TLS.CAFile != "":
			return fmt.Errorf("store.remote.tls.ca_file is set but store.remote.tls.enabled is false")
		case c.TLS.InsecureSkipVerify:
			return fmt.Errorf("store.remote.tls.insecure_skip_verify is set but store.remote.tls.enabled is false")
		case c.TLS.ServerName != "":
			return fmt.Errorf("store.remote.tls.server_name is set but store.remote.tls.enabled is false")
		}
	}
	return nil
}

func checkAddr(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "address "+a+": "))
	}
	if strings.TrimSpace(host) == "" || strings.ContainsAny(host, " \t\r\n/") {
		return fmt.Errorf("the host is missing or has spaces or slashes")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("the port must be a number from 1 to 65535")
	}
	return nil
}

var compressions = map[string]*clickhouse.Compression{
	"lz4":  {Method: clickhouse.CompressionLZ4},
	"zstd": {Method: clickhouse.CompressionZSTD},
	"none": nil,
}

// tlsConfig builds the client TLS configuration, nil when TLS is off.
func (t TLSConfig) tlsConfig() (*tls.Config, error) {
	if !t.Enabled {
		return nil, nil
	}
	c := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify,
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("cannot read store.remote.tls.ca_file %q: %w", t.CAFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("store.remote.tls.ca_file %q holds no PEM certificate", t.CAFile)
		}
		c.RootCAs = pool
	}
	return c, nil
}

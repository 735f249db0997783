// Package config composes every package's Config into logmart's one file,
// decodes it strictly (an unknown key is an error naming the key, the line
// and the file) and applies the environment overrides for secrets.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/logmart/logmart/ingest"
	"github.com/logmart/logmart/ingest/kafka"
	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/server"
	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/chdb"
	"github.com/logmart/logmart/store/remote"
)

// Config is the whole configuration file.
type Config struct {
	// Data is the folder the embedded parts persist to (ClickHouse data,
	// Kafka log). Default ./data; --data overrides it.
	Data   string        `yaml:"data"`
	Log    LogConfig     `yaml:"log"`
	Server server.Config `yaml:"server"`
	Store  StoreConfig   `yaml:"store"`
	Kafka  kafka.Config  `yaml:"kafka"`
	Ingest ingest.Config `yaml:"ingest"`
	// Templates configures the query template catalog.
	Templates query.Config `yaml:"templates"`
	// Links bounds shared links: snapshot size and retention, and how many
	// links a caller may create.
	Links query.LinkConfig `yaml:"links"`
}

// LogConfig configures logmart's own logs.
type LogConfig struct {
	// Level is debug, info, warn or error. Default info.
	Level string `yaml:"level"`
	// Format is text or json. Default text.
	Format string `yaml:"format"`
}

// StoreConfig picks and configures the ClickHouse engine.
type StoreConfig struct {
	// Engine is chdb (embedded, the default) or remote (a ClickHouse server
	// or cluster).
	Engine string `yaml:"engine"`
	// Database holds logmart's tables. Default logmart.
	Database string        `yaml:"database"`
	Chdb     chdb.Config   `yaml:"chdb"`
	Remote   remote.Config `yaml:"remote"`
}

// Default is the configuration used when no file is given.
func Default() Config {
	return Config{
		Data:   "./data",
		Log:    LogConfig{Level: "info", Format: "text"},
		Server: server.Default(),
		Store:  StoreConfig{Engine: "chdb", Database: "logmart", Chdb: chdb.Default(), Remote: remote.Default()},
		Kafka:  kafka.Default(),
		Ingest: ingest.Default(),

		Templates: query.DefaultConfig(),
		Links:     query.DefaultLinkConfig(),
	}
}

// Env variables that override secrets in the file.
const (
	EnvClickHousePassword = "LOGMART_CLICKHOUSE_PASSWORD"
	EnvKafkaPassword      = "LOGMART_KAFKA_PASSWORD"
)

// Load reads path over the defaults. Keys the file leaves out keep their
// defaults; keys logmart does not know are errors.
func Load(path string) (Config, error) {
	cfg := Default()
	b, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("cannot read config file %q: %w", path, err)
	}
	if err := Parse(b, &cfg); err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes YAML into cfg strictly.
func Parse(b []byte, cfg *Config) error {
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return friendlyYAMLError(err)
	}
	return nil
}

var (
	unknownFieldRe = regexp.MustCompile(`line (\d+): field (\S+) not found in type (\S+)`)
	typeErrRe      = regexp.MustCompile(`line (\d+): cannot unmarshal !!(\w+) ` + "`" + `?([^` + "`" + `]*)` + "`" + `? into (\S+)`)
)

// friendlyYAMLError rewrites yaml.v3's messages into ones naming the key.
func friendlyYAMLError(err error) error {
	msg := err.Error()
	var out []string
	for _, line := range strings.Split(msg, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line == "yaml: unmarshal errors:" {
			continue
		}
		if m := unknownFieldRe.FindStringSubmatch(line); m != nil {
			out = append(out, fmt.Sprintf("line %s: unknown key %q (in %s)", m[1], m[2], sectionOf(m[3])))
			continue
		}
		if m := typeErrRe.FindStringSubmatch(line); m != nil {
			out = append(out, fmt.Sprintf("line %s: value %q has the wrong type, want %s", m[1], m[3], m[4]))
			continue
		}
		out = append(out, strings.TrimPrefix(line, "yaml: "))
	}
	return errors.New(strings.Join(out, "; "))
}

func sectionOf(goType string) string {
	switch goType {
	case "config.Config":
		return "the top level"
	case "server.Config":
		return "server"
	case "config.StoreConfig":
		return "store"
	case "chdb.Config":
		return "store.chdb"
	case "remote.Config":
		return "store.remote"
	case "kafka.Config":
		return "kafka"
	case "ingest.Config":
		return "ingest"
	case "config.LogConfig":
		return "log"
	case "ingest.TopicConfig":
		return "ingest.topics[]"
	case "ingest.FieldMap":
		return "ingest.topics[].fields"
	case "ingest.TextConfig":
		return "ingest.topics[].text"
	case "ingest.BatchConfig":
		return "ingest.batch"
	case "query.Config":
		return "templates"
	case "query.LinkConfig":
		return "links"
	}
	return goType
}

// ApplyEnv fills secrets from the environment.
func (c *Config) ApplyEnv() {
	if v := os.Getenv(EnvClickHousePassword); v != "" {
		c.Store.Remote.Password = v
	}
	if v := os.Getenv(EnvKafkaPassword); v != "" {
		c.Kafka.SASL.Password = v
	}
}

// Resolve fills the paths that derive from Data. Call after flags are applied.
func (c *Config) Resolve() {
	if c.Store.Chdb.Path == "" {
		c.Store.Chdb.Path = filepath.Join(c.Data, "clickhouse")
	}
	if c.Kafka.DataDir == "" {
		c.Kafka.DataDir = filepath.Join(c.Data, "kafka")
	}
}

// Validate reports the first problem, naming the key.
func (c *Config) Validate() error {
	if c.Data == "" {
		return errors.New("data must name a folder")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log.level %q must be debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return fmt.Errorf("log.format %q must be text or json", c.Log.Format)
	}
	if err := c.Server.Validate(); err != nil {
		return err
	}
	switch c.Store.Engine {
	case "chdb":
		if err := c.Store.Chdb.Validate(); err != nil {
			return err
		}
	case "remote":
		if err := c.Store.Remote.Validate(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("store.engine %q must be chdb or remote", c.Store.Engine)
	}
	if err := store.CheckDatabase(c.Store.Database); err != nil {
		return err
	}
	if err := c.Kafka.Validate(); err != nil {
		return err
	}
	if err := c.Templates.Validate(); err != nil {
		return err
	}
	if err := c.Links.Validate(); err != nil {
		return err
	}
	return c.Ingest.Validate()
}

// Logger builds the slog logger the config asks for.
func (c *Config) Logger(w *os.File) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.Log.Level))
	opts := &slog.HandlerOptions{Level: lvl}
	if c.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

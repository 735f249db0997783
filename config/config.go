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
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/logmart/logmart/alerts"
	"github.com/logmart/logmart/budgets"
	"github.com/logmart/logmart/dashboards"
	"github.com/logmart/logmart/ingest"
	"github.com/logmart/logmart/ingest/kafka"
	"github.com/logmart/logmart/pipeline"
	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/server"
	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/chdb"
	"github.com/logmart/logmart/store/remote"
)

// Config is the whole configuration file.
type Config struct {
	// Data is the folder the embedded parts persist to (ClickHouse data,
	// Kafka log, the folder archive). Default ./data; --data overrides it.
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
	// Dashboards configures the dashboards served: the folder provisioned
	// read-only at start and on reload.
	Dashboards dashboards.Config `yaml:"dashboards"`
	// Pipeline configures the contact-center stream processor that serve
	// runs (and `logmart pipeline run` runs alone).
	Pipeline pipeline.Config `yaml:"pipeline"`
	// Alerts configures monitors, their evaluation and the notification
	// channels.
	Alerts alerts.Config `yaml:"alerts"`
	// Budgets configures ingest budgets: the folder of budgets, and how
	// often replicas sync their counts.
	Budgets budgets.Config `yaml:"budgets"`
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

// DefaultStreamsFile is ingest.streams_file when the file leaves it out,
// relative to the working folder. serve treats this default, and only it,
// as optional: when it is absent the built-in single stream applies.
const DefaultStreamsFile = "configs/streams.yaml"

// Default is the configuration used when no file is given. It equals
// configs/logmart.yaml, which documents it (TestEmptyConfigEqualsShipped).
func Default() Config {
	ing := ingest.Default()
	ing.StreamsFile = DefaultStreamsFile
	ing.Archive.Enabled = true // into <data>/archive (Resolve)
	return Config{
		Data:   "./data",
		Log:    LogConfig{Level: "info", Format: "text"},
		Server: server.Default(),
		Store:  StoreConfig{Engine: "chdb", Database: "logmart", Chdb: chdb.Default(), Remote: remote.Default()},
		Kafka:  kafka.Default(),
		Ingest: ing,

		Templates:  query.DefaultConfig(),
		Links:      query.DefaultLinkConfig(),
		Dashboards: dashboards.DefaultConfig(),
		Pipeline:   pipeline.DefaultConfig(),
		Alerts:     alerts.DefaultConfig(),
		Budgets:    budgets.DefaultConfig(),
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
	typeErrRe      = regexp.MustCompile(`line (\d+): cannot unmarshal !!(\w+)(?: ` + "`" + `([^` + "`" + `]*)` + "`" + `)? into (\S+)`)
)

// friendlyYAMLError rewrites yaml.v3's messages into ones naming the key
// path as written in the file and the kind of value it takes, never a Go
// type.
func friendlyYAMLError(err error) error {
	msg := err.Error()
	var out []string
	for _, line := range strings.Split(msg, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line == "yaml: unmarshal errors:" {
			continue
		}
		if m := unknownFieldRe.FindStringSubmatch(line); m != nil {
			out = append(out, fmt.Sprintf("line %s: unknown key %q (in %s)%s", m[1], m[2], sectionOf(m[3]), didYouMean(m[3], m[2])))
			continue
		}
		if m := typeErrRe.FindStringSubmatch(line); m != nil {
			value := m[3]
			if value == "" {
				value = yamlKinds[m[2]]
			} else {
				value = strconv.Quote(value)
			}
			out = append(out, fmt.Sprintf("line %s: value %s has the wrong type, want %s", m[1], value, wantOf(m[4])))
			continue
		}
		out = append(out, strings.TrimPrefix(line, "yaml: "))
	}
	return errors.New(strings.Join(out, "; "))
}

// yamlKinds names the YAML node kinds yaml.v3 reports without a value.
var yamlKinds = map[string]string{"map": "(a section of keys)", "seq": "(a list)", "str": "(a string)"}

// sections maps each struct type of the file (as yaml.v3 names it, e.g.
// "kafka.TLSConfig") to its key path ("kafka.tls") and its keys, found by
// walking Config once, so a new section needs no entry here.
var sections = func() map[string]section {
	m := map[string]section{}
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			if t.Kind() == reflect.Slice {
				path += "[]"
			}
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t.PkgPath() == "time" {
			return
		}
		name := t.String()
		if _, seen := m[name]; seen {
			return
		}
		sec := section{path: path}
		m[name] = sec
		for i := range t.NumField() {
			f := t.Field(i)
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if key == "-" || !f.IsExported() {
				continue
			}
			if key == "" {
				key = strings.ToLower(f.Name)
			}
			sec.keys = append(sec.keys, key)
			child := key
			if path != "" {
				child = path + "." + key
			}
			walk(f.Type, child)
		}
		m[name] = sec
	}
	walk(reflect.TypeFor[Config](), "")
	return m
}()

type section struct {
	path string
	keys []string
}

// sectionOf names a section by its key path in the file.
func sectionOf(goType string) string {
	s, ok := sections[goType]
	switch {
	case !ok:
		return "a section"
	case s.path == "":
		return "the top level"
	}
	return s.path
}

// didYouMean suggests the key meant when the unknown one is a near miss
// (tls.enable for tls.enabled, case or a trailing letter).
func didYouMean(goType, key string) string {
	for _, k := range sections[goType].keys {
		if strings.EqualFold(k, key) || k == key+"d" || k+"d" == key || k == key+"s" || k+"s" == key {
			return fmt.Sprintf("; did you mean %q?", k)
		}
	}
	return ""
}

// wantOf says what kind of value a Go type takes, in the file's terms.
func wantOf(goType string) string {
	switch {
	case goType == "time.Duration":
		return "a duration such as 500ms, 30s, 5m or 1h"
	case goType == "bool":
		return "true or false"
	case goType == "string":
		return "a string"
	case goType == "float64" || goType == "float32":
		return "a number"
	case strings.HasPrefix(goType, "int") || strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["):
		return "a section of keys"
	}
	if _, ok := sections[goType]; ok {
		return "the section " + sectionOf(goType) + " (keys and values)"
	}
	return "another kind of value"
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
	if c.Ingest.Archive.Enabled && c.Ingest.Archive.URL == "" {
		c.Ingest.Archive.URL = filepath.Join(c.Data, "archive")
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
	if err := c.Budgets.Validate(); err != nil {
		return err
	}
	if err := c.Alerts.Validate(); err != nil {
		return err
	}
	if err := c.Pipeline.Validate(); err != nil {
		return err
	}
	if err := c.Dashboards.Validate(); err != nil {
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

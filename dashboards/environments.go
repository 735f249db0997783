package dashboards

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/logmart/logmart/fault"
)

// Environment is one instance content is promoted between, as listed in
// configs/environments.yaml. Its token never sits in the file: TokenEnv
// names the environment variable that holds it, read only when a command
// talks to the instance.
type Environment struct {
	Name     string `yaml:"name"`
	URL      string `yaml:"url"`
	TokenEnv string `yaml:"token_env"`
	// Variables are the instance variables this environment resolves
	// (env, region …): what differs between instances, so that what is
	// promoted never has to. A dashboard literal equal to one of their
	// values is a lint problem.
	Variables map[string]string `yaml:"variables,omitempty"`
}

// Environments is the environments file.
type Environments struct {
	Environments []Environment `yaml:"environments"`
	// Path is the file it was read from, for messages.
	Path string `yaml:"-"`
}

var (
	envNameRe    = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
	envVarNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	instVarRe    = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,63}$`)
)

// LoadEnvironments reads an environments file strictly. A missing file
// lists none when optional is true (the default path), and is an error
// otherwise. Every error names the file, the line and the field.
func LoadEnvironments(path string, optional bool) (*Environments, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if optional && errors.Is(err, os.ErrNotExist) {
			return &Environments{Path: path}, nil
		}
		return nil, fault.New(fault.BadInput, "cannot read the environments file: %v", err)
	}
	e, err := DecodeEnvironments(b, path)
	if err != nil {
		return nil, fault.Wrap(fault.BadInput, err)
	}
	return e, nil
}

// DecodeEnvironments decodes an environments file's bytes; file names it
// in errors. Unknown keys, a literal token, a missing or repeated name, a
// URL that is not http(s) and a token_env that is no variable name are
// errors naming the field.
func DecodeEnvironments(b []byte, file string) (*Environments, error) {
	e := &Environments{Path: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %s", file, strings.ReplaceAll(strings.TrimPrefix(err.Error(), "yaml: "), "\n", "; "))
	}
	if len(doc.Content) == 0 {
		return e, nil
	}
	fail := func(n *yaml.Node, field, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s: %s", file, n.Line, field, fmt.Sprintf(format, args...))
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fail(root, "environments", "the file is a mapping with the one key environments")
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "environments" {
			return nil, fail(k, k.Value, "unknown key (the file has the one key environments)")
		}
		list = v
	}
	if list == nil || list.Tag == "!!null" {
		return e, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fail(list, "environments", "a list of environments (name, url, token_env, variables)")
	}
	seen := map[string]bool{}
	for i, item := range list.Content {
		at := fmt.Sprintf("environments[%d]", i)
		if item.Kind != yaml.MappingNode {
			return nil, fail(item, at, "an environment is a mapping (name, url, token_env, variables)")
		}
		var env Environment
		got := map[string]bool{}
		for j := 0; j+1 < len(item.Content); j += 2 {
			k, v := item.Content[j], item.Content[j+1]
			field := at + "." + k.Value
			if got[k.Value] {
				return nil, fail(k, field, "is given twice")
			}
			got[k.Value] = true
			switch k.Value {
			case "name", "url", "token_env":
				if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
					return nil, fail(v, field, "a string")
				}
				switch k.Value {
				case "name":
					env.Name = v.Value
				case "url":
					env.URL = v.Value
				default:
					env.TokenEnv = v.Value
				}
			case "variables":
				if v.Kind != yaml.MappingNode {
					return nil, fail(v, field, "a mapping of instance variable names to values")
				}
				env.Variables = map[string]string{}
				for m := 0; m+1 < len(v.Content); m += 2 {
					vk, vv := v.Content[m], v.Content[m+1]
					vf := field + "." + vk.Value
					switch {
					case !instVarRe.MatchString(vk.Value):
						return nil, fail(vk, vf, "%q is not an instance variable name (lowercase letters, digits and _)", vk.Value)
					case vv.Kind != yaml.ScalarNode || vv.Tag == "!!null":
						return nil, fail(vv, vf, "a value (text)")
					}
					if _, dup := env.Variables[vk.Value]; dup {
						return nil, fail(vk, vf, "is given twice")
					}
					env.Variables[vk.Value] = vv.Value
				}
			case "token", "password", "secret":
				return nil, fail(k, field, "a secret never sits in this file: put it in an environment variable and name that variable with token_env")
			default:
				return nil, fail(k, field, "unknown key (want name, url, token_env, variables)")
			}
		}
		switch {
		case !envNameRe.MatchString(env.Name):
			if !got["name"] {
				return nil, fail(item, at+".name", "missing: every environment has a name (dev, test, prod …)")
			}
			return nil, fail(item, at+".name", "%q is not an environment name (lowercase letters, digits, _ and -, at most 32)", env.Name)
		case seen[env.Name]:
			return nil, fail(item, at+".name", "%q is listed twice", env.Name)
		case !got["url"]:
			return nil, fail(item, at+".url", "missing: the instance's base URL, such as http://127.0.0.1:8080")
		case !got["token_env"]:
			return nil, fail(item, at+".token_env", "missing: the name of the environment variable that holds the instance's API token")
		case !envVarNameRe.MatchString(env.TokenEnv):
			return nil, fail(item, at+".token_env", "%q is not an environment variable name (letters, digits and _); the token itself never sits in this file", env.TokenEnv)
		}
		if err := checkURL(env.URL); err != nil {
			return nil, fail(item, at+".url", "%v", err)
		}
		if u, _ := url.Parse(env.URL); u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return nil, fail(item, at+".url", "%q carries credentials, a query or a fragment; give the base URL alone and the token through token_env", env.URL)
		}
		seen[env.Name] = true
		e.Environments = append(e.Environments, env)
	}
	return e, nil
}

// Get returns the environment name; the error names the file and the
// environments it lists.
func (e *Environments) Get(name string) (*Environment, error) {
	for i := range e.Environments {
		if e.Environments[i].Name == name {
			return &e.Environments[i], nil
		}
	}
	if len(e.Environments) == 0 {
		return nil, fault.New(fault.BadInput, "unknown environment %q: %s lists none", name, e.Path)
	}
	return nil, fault.New(fault.BadInput, "unknown environment %q: %s lists %s", name, e.Path, strings.Join(e.Names(), ", "))
}

// Names lists the environments in file order.
func (e *Environments) Names() []string {
	out := make([]string, len(e.Environments))
	for i, env := range e.Environments {
		out[i] = env.Name
	}
	return out
}

// Token reads the environment's API token from its token_env variable; an
// unset or empty variable is an error naming it, since a command that went
// on without the token would fail later with a less telling 401.
func (env *Environment) Token() (string, error) {
	t := os.Getenv(env.TokenEnv)
	if strings.TrimSpace(t) == "" {
		return "", fault.New(fault.BadInput, "environment %s: $%s is not set (token_env): export the instance's API token in it", env.Name, env.TokenEnv)
	}
	return t, nil
}

// envMarker is one thing that gives an environment away in a literal.
type envMarker struct {
	env, what string
	match     func(value string) bool
}

var hostLikeRe = regexp.MustCompile(`^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?$`)

// words splits a literal into the words an environment's name could be:
// a host's labels but its last (so the TLD .dev is no environment), or
// the words of plain text.
func words(value string) []string {
	host := ""
	if u, err := url.Parse(value); err == nil && u.Hostname() != "" && strings.Contains(value, "://") {
		host = u.Hostname()
	} else if hostLikeRe.MatchString(value) {
		host, _, _ = strings.Cut(value, ":")
	}
	split := func(s string) []string {
		return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') })
	}
	if host == "" {
		return split(value)
	}
	labels := strings.Split(host, ".")
	return split(strings.Join(labels[:len(labels)-1], " "))
}

func (e *Environments) markers() []envMarker {
	if e == nil {
		return nil
	}
	var out []envMarker
	for _, env := range e.Environments {
		name := env.Name
		// The host first: it says more than the name it may contain.
		if u, err := url.Parse(env.URL); err == nil && u.Hostname() != "" {
			host := strings.ToLower(u.Hostname())
			out = append(out, envMarker{name, "its host " + host, func(v string) bool { return strings.Contains(strings.ToLower(v), host) }})
		}
		for _, k := range sortedKeys(env.Variables) {
			val := env.Variables[k]
			if len(val) < 2 || strings.EqualFold(val, name) {
				continue
			}
			out = append(out, envMarker{name, fmt.Sprintf("its instance variable %s=%s", k, val), func(v string) bool { return strings.EqualFold(v, val) }})
		}
		out = append(out, envMarker{name, "its name", func(v string) bool {
			if strings.EqualFold(v, name) {
				return true
			}
			for _, w := range words(v) {
				if w == name {
					return true
				}
			}
			return false
		}})
	}
	return out
}

// environmentProblems reports the literals of d that name an environment
// (its name as a word, or its host): a dashboard is promoted unchanged, so
// what differs between instances must be an instance variable.
func environmentProblems(d *Dashboard, envs *Environments) []*Problem {
	ms := envs.markers()
	if len(ms) == 0 {
		return nil
	}
	var out []*Problem
	check := func(panel, field, value string) {
		for _, m := range ms {
			if m.match(value) {
				out = append(out, &Problem{Panel: panel, Field: field, Msg: fmt.Sprintf(
					"%q names the environment %s (%s); a dashboard is promoted unchanged, so use an instance variable such as ${env} or ${region} instead", value, m.env, m.what)})
				return
			}
		}
	}
	if d.Playbook != "" {
		check("", "playbook", d.Playbook)
	}
	for i, v := range d.Variables {
		f := fmt.Sprintf("variables[%d]", i)
		for j, x := range v.Values {
			check("", fmt.Sprintf("%s.values[%d]", f, j), x)
		}
		for _, x := range v.Default {
			check("", f+".default", x)
		}
	}
	for i, p := range d.Panels {
		f := fmt.Sprintf("panels[%d]", i)
		for _, name := range sortedKeys(p.Params) {
			b := ParseBinding(p.Params[name])
			if b.Var != "" {
				continue
			}
			switch x := b.Literal.(type) {
			case string:
				check(p.Title, f+".params."+name, x)
			case []any:
				for _, e := range x {
					if s, ok := e.(string); ok {
						check(p.Title, f+".params."+name, s)
					}
				}
			}
		}
		for j, l := range p.Links {
			if l.URL != "" {
				check(p.Title, fmt.Sprintf("%s.links[%d].url", f, j), l.URL)
			}
		}
	}
	return out
}

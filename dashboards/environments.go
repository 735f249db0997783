package dashboards

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/logmart/logmart/fault"
)

// Environment is one instance content is promoted between, as listed in
// configs/environments.yaml. Its token never sits in the file: TokenEnv
// names the environment variable that holds it.
type Environment struct {
	Name     string `yaml:"name"`
	URL      string `yaml:"url"`
	TokenEnv string `yaml:"token_env"`
}

// Environments is the environments file.
type Environments struct {
	Environments []Environment `yaml:"environments"`
}

var envNameRe = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// LoadEnvironments reads an environments file strictly. A missing file
// lists none when optional is true (the default path), and is an error
// otherwise.
func LoadEnvironments(path string, optional bool) (*Environments, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if optional && errors.Is(err, os.ErrNotExist) {
			return &Environments{}, nil
		}
		return nil, fault.New(fault.BadInput, "cannot read the environments file: %v", err)
	}
	var e Environments
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&e); err != nil && !errors.Is(err, io.EOF) {
		return nil, fault.New(fault.BadInput, "%s: %s", path, strings.ReplaceAll(strings.TrimPrefix(err.Error(), "yaml: "), "\n", "; "))
	}
	seen := map[string]bool{}
	for i, env := range e.Environments {
		switch {
		case !envNameRe.MatchString(env.Name):
			return nil, fault.New(fault.BadInput, "%s: environments[%d].name: %q is not an environment name (lowercase letters, digits, _ and -)", path, i, env.Name)
		case seen[env.Name]:
			return nil, fault.New(fault.BadInput, "%s: environments[%d].name: %q is listed twice", path, i, env.Name)
		}
		seen[env.Name] = true
		if err := checkURL(env.URL); err != nil {
			return nil, fault.New(fault.BadInput, "%s: environments[%d].url: %v", path, i, err)
		}
	}
	return &e, nil
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

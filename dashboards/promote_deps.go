package dashboards

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// KindTemplate is the content kind of query template versions: today a
// dependency of dashboards, provisioned from files on every instance.
const KindTemplate = "template"

// Dependency is a versioned item that an item of content needs on the
// instance it is promoted to: a dashboard's template versions. A version
// is never overwritten, so promotion copies none: it checks the target
// holds each one with the source's hash.
type Dependency struct {
	Kind    string
	ID      string
	Version uint32
}

func (d Dependency) String() string { return fmt.Sprintf("%s %s v%d", d.Kind, d.ID, d.Version) }

// dependencies reads the dependencies of an item's body, per kind.
var dependencies = map[string]func(body []byte) ([]Dependency, error){
	KindDashboard: func(body []byte) ([]Dependency, error) {
		d, _, err := Decode(body, "")
		if err != nil {
			return nil, err
		}
		var out []Dependency
		for _, r := range d.Templates() {
			out = append(out, Dependency{Kind: KindTemplate, ID: r.ID, Version: r.Version})
		}
		return out, nil
	},
}

// RegisterDependencies tells promotion how to read the dependencies of
// another content kind's items (a monitor's template version). Call it
// before promoting; it is not safe to call concurrently with promotion.
func RegisterDependencies(kind string, read func(body []byte) ([]Dependency, error)) {
	dependencies[kind] = read
}

// DependencyState is one dependency's hash on two instances.
type DependencyState struct {
	Dependency
	FromHash, ToHash string // "" where the instance lacks it
}

// dependencyStates reads the hashes, on both instances, of what the
// bodies need (either body may be nil).
func dependencyStates(ctx context.Context, kind string, from, to Env, bodies ...[]byte) ([]DependencyState, error) {
	read := dependencies[kind]
	if read == nil {
		return nil, nil
	}
	seen := map[Dependency]bool{}
	var out []DependencyState
	for _, b := range bodies {
		if b == nil {
			continue
		}
		deps, err := read(b)
		if err != nil {
			return nil, err
		}
		for _, d := range deps {
			if seen[d] {
				continue
			}
			seen[d] = true
			s := DependencyState{Dependency: d}
			if s.FromHash, err = from.DependencyHash(ctx, d); err != nil {
				return nil, fmt.Errorf("cannot read %s on %s: %w", d, from.Name, err)
			}
			if s.ToHash, err = to.DependencyHash(ctx, d); err != nil {
				return nil, fmt.Errorf("cannot read %s on %s: %w", d, to.Name, err)
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// dependencyConflict says why the target cannot take an item whose
// dependencies are deps, or is nil.
func dependencyConflict(deps []DependencyState, from, to string) error {
	var msgs []string
	for _, d := range deps {
		switch {
		case d.FromHash == "":
			msgs = append(msgs, fmt.Sprintf("%s is missing on %s itself", d.Dependency, from))
		case d.ToHash == "":
			msgs = append(msgs, fmt.Sprintf("%s is missing on %s (deploy it there first; %s has %s)", d.Dependency, to, from, d.FromHash))
		case d.ToHash != d.FromHash:
			msgs = append(msgs, fmt.Sprintf("%s differs: %s has %s, %s has %s (a version is never overwritten: give the changed one a new version)", d.Dependency, from, d.FromHash, to, d.ToHash))
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "; "))
}

// dependencyDrift compares, across envs, the hashes of the dependencies of
// an item every env holds with one hash.
func dependencyDrift(ctx context.Context, kind string, envs []Env, uid string) ([]string, error) {
	read := dependencies[kind]
	if read == nil || len(envs) < 2 {
		return nil, nil
	}
	it, err := get(ctx, envs[0], kind, uid)
	if err != nil || it == nil {
		return nil, err
	}
	deps, err := read(it.Body)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range deps {
		var parts []string
		drift := false
		first := ""
		for i, e := range envs {
			h, err := e.DependencyHash(ctx, d)
			if err != nil {
				return nil, fmt.Errorf("cannot read %s on %s: %w", d, e.Name, err)
			}
			if i == 0 {
				first = h
			}
			drift = drift || h == "" || h != first
			parts = append(parts, e.Name+" "+ShortHash(h))
		}
		if drift {
			out = append(out, fmt.Sprintf("%s: %s", d, strings.Join(parts, ", ")))
		}
	}
	return out, nil
}

package dashboards

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Canonical is d's canonical form: YAML with every mapping's keys sorted,
// defaults filled in (d must be normalized, as Decode leaves it), empty
// fields left out, no comments, two-space indent. Two files that mean the
// same dashboard have one canonical form, whatever their key order,
// comments or spelled-out defaults; it is what promotion copies and what
// Hash fingerprints.
func Canonical(d *Dashboard) ([]byte, error) {
	return CanonicalYAML(d, "dashboard "+strconv.Quote(d.UID))
}

// CanonicalYAML is the canonical form of any content model v (what names
// it in errors): through JSON to a tree of maps, so the encoder sorts
// every key, the struct's as well as the maps', then YAML with a two-space
// indent.
func CanonicalYAML(v any, what string) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("cannot encode %s: %w", what, err)
	}
	var tree any
	if err := json.Unmarshal(j, &tree); err != nil {
		return nil, fmt.Errorf("cannot encode %s: %w", what, err)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(tree); err != nil {
		return nil, fmt.Errorf("cannot encode %s: %w", what, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("cannot encode %s: %w", what, err)
	}
	return b.Bytes(), nil
}

// Hash is the SHA-256 of d's canonical form, in hex: what If-Match and
// ETag carry, and what tells two instances' copies apart.
func Hash(d *Dashboard) (string, error) {
	c, err := Canonical(d)
	if err != nil {
		return "", err
	}
	return hashBytes(c), nil
}

func hashBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ContentHash identifies exactly what d shows: the SHA-256 of its
// canonical form followed by, for each template version it uses (sorted),
// a line "template <id> <version> <template hash>". templateHash returns a
// version's hash (its SQL and parameters); an error there is the caller's
// (a version the instance does not have).
func ContentHash(d *Dashboard, templateHash func(TemplateRef) (string, error)) (string, error) {
	c, err := Canonical(d)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write(c)
	for _, r := range d.Templates() {
		th, err := templateHash(r)
		if err != nil {
			return "", fmt.Errorf("cannot hash dashboard %q: template %s: %w", d.UID, r, err)
		}
		fmt.Fprintf(h, "template %s %d %s\n", r.ID, r.Version, th)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

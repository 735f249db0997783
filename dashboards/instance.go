package dashboards

import (
	"maps"
	"regexp"
)

// instanceVarRe is an instance variable's name.
var instanceVarRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// instanceRefRe is a reference to an instance variable in a dashboard's
// text: ${name}.
var instanceRefRe = regexp.MustCompile(`\$\{([A-Za-z][A-Za-z0-9_]*)\}`)

// Instance returns this instance's variables (Config.InstanceVariables), a
// copy the caller may keep.
func (s *Service) Instance() map[string]string { return maps.Clone(s.cfg.InstanceVariables) }

// ExpandInstance writes vars' values for the ${name} references in text;
// a name vars does not hold stays as it is written, so a missing variable
// shows rather than vanishes.
func ExpandInstance(text string, vars map[string]string) string {
	if len(vars) == 0 {
		return text
	}
	return instanceRefRe.ReplaceAllStringFunc(text, func(ref string) string {
		if v, ok := vars[ref[2:len(ref)-1]]; ok {
			return v
		}
		return ref
	})
}

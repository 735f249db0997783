package query

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/logmart/logmart/store"
)

// versionKey names one template version.
type versionKey struct {
	id      string
	version uint32
}

// storedVersion is a query_templates row: the first one recorded for its
// (id, version).
type storedVersion struct {
	key      versionKey
	hash     string
	spec     string
	file     string
	loadedAt time.Time
}

const storedVersionsSQL = `SELECT id, version, argMin(spec_hash, loaded_at), argMin(spec, loaded_at),
  argMin(file, loaded_at), toUnixTimestamp64Milli(min(loaded_at))
FROM query_templates`

// readStoredVersions reads every recorded version.
func readStoredVersions(ctx context.Context, st store.Store) (map[versionKey]*storedVersion, error) {
	res, err := st.Query(ctx, store.Query{SQL: storedVersionsSQL + "\nGROUP BY id, version"})
	if err != nil {
		return nil, fmt.Errorf("cannot read the recorded template versions (query_templates): %w", err)
	}
	out := make(map[versionKey]*storedVersion, len(res.Rows))
	for _, r := range res.Rows {
		sv, err := storedRow(r)
		if err != nil {
			return nil, err
		}
		out[sv.key] = sv
	}
	return out, nil
}

// readStoredVersion reads one recorded version; nil when there is none.
func readStoredVersion(ctx context.Context, st store.Store, id string, version uint32) (*storedVersion, error) {
	res, err := st.Query(ctx, store.Query{
		SQL:    storedVersionsSQL + "\nWHERE id = {id:String} AND version = {version:UInt32}\nGROUP BY id, version",
		Params: map[string]string{"id": id, "version": strconv.FormatUint(uint64(version), 10)},
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read template %s version %d from query_templates: %w", id, version, err)
	}
	if len(res.Rows) == 0 {
		return nil, nil
	}
	return storedRow(res.Rows[0])
}

func storedRow(r []any) (*storedVersion, error) {
	v, err := strconv.ParseUint(store.CellString(r[1]), 10, 32)
	if err != nil {
		return nil, fmt.Errorf("query_templates holds version %v of %v: %w", r[1], r[0], err)
	}
	return &storedVersion{key: versionKey{store.CellString(r[0]), uint32(v)}, hash: store.CellString(r[2]), spec: store.CellString(r[3]), file: store.CellString(r[4]), loadedAt: store.CellUnixMilli(r[5])}, nil
}

// compile rebuilds a recorded version. It was checked against the engine
// when it was recorded; a run checks its statement again (see
// Template.checkVariant).
func (sv *storedVersion) compile() (*Template, error) {
	d := json.NewDecoder(strings.NewReader(sv.spec))
	d.UseNumber()
	d.DisallowUnknownFields()
	var spec Spec
	if err := d.Decode(&spec); err != nil {
		return nil, fmt.Errorf("template %s version %d: the recorded spec does not decode: %w", sv.key.id, sv.key.version, err)
	}
	t, probs := compileSpec(spec, nil)
	if len(probs) > 0 {
		return nil, fmt.Errorf("template %s version %d: the recorded spec no longer compiles: %s", sv.key.id, sv.key.version, probs[0].msg)
	}
	return t, nil
}

// recordVersion writes t as a new query_templates row.
func recordVersion(ctx context.Context, st store.Store, t *Template) error {
	spec, err := json.Marshal(t.Spec)
	if err != nil {
		return fmt.Errorf("cannot encode template %s version %d: %w", t.ID, t.Version, err)
	}
	err = st.Exec(ctx, store.Query{
		SQL: `INSERT INTO query_templates (id, version, spec_hash, spec, file)
VALUES ({id:String}, {version:UInt32}, {hash:String}, {spec:String}, {file:String})`,
		Params: map[string]string{"id": t.ID, "version": strconv.Itoa(t.Version), "hash": t.Hash, "spec": string(spec), "file": t.File},
	})
	if err != nil {
		return fmt.Errorf("cannot record template %s version %d in query_templates: %w", t.ID, t.Version, err)
	}
	return nil
}

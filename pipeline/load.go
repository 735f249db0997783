package pipeline

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/logmart/logmart/store"
)

// Loader writes facts into their ClickHouse tables (store/schema/0015), one
// Native insert per table. Rows go in as they are: the tables keep the
// highest version of each fact id, so loading a fact twice, or an older
// version after a newer one, changes nothing a reader sees.
type Loader struct {
	st store.Store
}

// NewLoader returns a Loader writing through st.
func NewLoader(st store.Store) *Loader { return &Loader{st: st} }

// Write inserts facts. token, when not empty, makes a retried call with the
// same facts a no-op in ClickHouse (see store.DedupToken); it is suffixed
// with the table name, since each table is its own insert.
func (l *Loader) Write(ctx context.Context, facts []Fact, token string) error {
	byTable := map[string][]any{}
	for _, f := range facts {
		byTable[f.Table] = append(byTable[f.Table], f.Row)
	}
	tables := make([]string, 0, len(byTable))
	for t := range byTable {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		b, err := factBlock(byTable[t])
		if err != nil {
			return err
		}
		tok := ""
		if token != "" {
			tok = store.DedupToken(token + ":" + t)
		}
		if err := l.st.Insert(ctx, t, b, tok); err != nil {
			return fmt.Errorf("cannot load %d rows into %s: %w", b.Rows(), t, err)
		}
	}
	return nil
}

var millisType = reflect.TypeFor[Millis]()

// factLayouts caches, per row type, how its fields become columns.
var factLayouts sync.Map // reflect.Type → []factField

type factField struct {
	index int
	name  string
	kind  string // string, time, int64, uint64, uint32
}

func layoutOf(t reflect.Type) ([]factField, error) {
	if l, ok := factLayouts.Load(t); ok {
		return l.([]factField), nil
	}
	var out []factField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		ff := factField{index: i, name: name}
		switch {
		case f.Type == millisType:
			ff.kind = "time"
		case f.Type.Kind() == reflect.String:
			ff.kind = "string"
		case f.Type.Kind() == reflect.Int64:
			ff.kind = "int64"
		case f.Type.Kind() == reflect.Uint64:
			ff.kind = "uint64"
		case f.Type.Kind() == reflect.Int, f.Type.Kind() == reflect.Uint8:
			ff.kind = "uint32"
		default:
			return nil, fmt.Errorf("cannot load %s.%s: no column type for %s", t.Name(), f.Name, f.Type)
		}
		out = append(out, ff)
	}
	factLayouts.Store(t, out)
	return out, nil
}

// factBlock turns rows of one type into a columnar block.
func factBlock(rows []any) (*store.Block, error) {
	t := reflect.TypeOf(rows[0])
	layout, err := layoutOf(t)
	if err != nil {
		return nil, err
	}
	cols := make([]store.BlockColumn, len(layout))
	for i, f := range layout {
		switch f.kind {
		case "string":
			cols[i] = store.Strings(f.name)
		case "time":
			cols[i] = &store.Int64Column{Name: f.name, Type: "DateTime64(3, 'UTC')"}
		case "int64":
			cols[i] = &store.Int64Column{Name: f.name}
		case "uint64":
			cols[i] = &store.UInt64Column{Name: f.name}
		case "uint32":
			cols[i] = &store.UInt32Column{Name: f.name}
		}
	}
	for _, r := range rows {
		v := reflect.ValueOf(r)
		if v.Type() != t {
			return nil, fmt.Errorf("cannot load a %s among %s rows", v.Type().Name(), t.Name())
		}
		for i, f := range layout {
			fv := v.Field(f.index)
			switch c := cols[i].(type) {
			case *store.StringColumn:
				c.Append(fv.String())
			case *store.Int64Column:
				c.Append(fv.Int())
			case *store.UInt64Column:
				c.Append(fv.Uint())
			case *store.UInt32Column:
				if fv.Kind() == reflect.Uint8 {
					c.Append(uint32(fv.Uint()))
				} else {
					c.Append(uint32(fv.Int()))
				}
			}
		}
	}
	return &store.Block{Cols: cols}, nil
}

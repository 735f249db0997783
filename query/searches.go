package query

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// SavedSearch is a named state of the Logs or Explore page, shared with
// every user: State is the page's query string, so opening the search is
// opening Page + "?" + State, and a relative range stays relative.
type SavedSearch struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Page      string    `json:"page"`
	State     string    `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	URL       string    `json:"url"`
}

// Limits of a saved search.
const (
	MaxSearchNameLen  = 200
	MaxSearchStateLen = 16 << 10
	MaxSavedSearches  = 1000
)

// searchPages are the pages a search may be saved from, with their paths.
var searchPages = map[string]string{"logs": "/logs", "explore": "/explore"}

// Searches stores saved searches in the saved_searches table.
type Searches struct {
	st  store.Store
	now func() time.Time
}

// NewSearches returns Searches on st.
func NewSearches(st store.Store) *Searches { return &Searches{st: st, now: time.Now} }

// Validate names the first field at fault.
func (s SavedSearch) Validate() error {
	name := strings.TrimSpace(s.Name)
	switch {
	case name == "":
		return fault.New(fault.BadInput, "name is required")
	case len(s.Name) > MaxSearchNameLen || !utf8.ValidString(s.Name):
		return fault.New(fault.BadInput, "name must be valid UTF-8 of at most %d bytes", MaxSearchNameLen)
	case searchPages[s.Page] == "":
		return fault.New(fault.BadInput, "page %q must be logs or explore", s.Page)
	case len(s.State) > MaxSearchStateLen || !utf8.ValidString(s.State):
		return fault.New(fault.BadInput, "state must be valid UTF-8 of at most %d bytes", MaxSearchStateLen)
	}
	if _, err := url.ParseQuery(strings.TrimPrefix(s.State, "?")); err != nil {
		return fault.New(fault.BadInput, "state is not a query string (a=1&b=2): %v", err)
	}
	return nil
}

// Save stores a new search for who and returns it with its id.
func (s *Searches) Save(ctx context.Context, who Caller, in SavedSearch) (*SavedSearch, error) {
	in.State = strings.TrimPrefix(in.State, "?")
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	in.ID, in.Name, in.CreatedBy = hex.EncodeToString(b[:]), strings.TrimSpace(in.Name), who.User
	in.CreatedAt = s.now().UTC().Truncate(time.Millisecond)
	in.URL = searchURL(in.Page, in.State)
	if err := s.write(ctx, in, false); err != nil {
		return nil, err
	}
	return &in, nil
}

func (s *Searches) write(ctx context.Context, in SavedSearch, deleted bool) error {
	del := "0"
	if deleted {
		del = "1"
	}
	err := s.st.Exec(ctx, store.Query{SQL: `INSERT INTO saved_searches (id, revision, name, page, state, created_at, created_by, deleted)
SETTINGS insert_deduplicate = 0 VALUES ({id:String}, {rev:UInt64}, {name:String}, {page:String}, {state:String}, {at:DateTime64(3)}, {by:String}, {del:UInt8})`,
		Params: map[string]string{"id": in.ID, "rev": strconv.FormatInt(s.now().UnixNano(), 10), "name": in.Name, "page": in.Page,
			"state": in.State, "at": fmtTime(in.CreatedAt), "by": in.CreatedBy, "del": del}})
	if err != nil {
		return fmt.Errorf("cannot save search %q: %w", in.Name, err)
	}
	return nil
}

// List returns every saved search, of page when it is set, by name.
func (s *Searches) List(ctx context.Context, page string) ([]SavedSearch, error) {
	if page != "" && searchPages[page] == "" {
		return nil, fault.New(fault.BadInput, "page %q must be logs or explore", page)
	}
	res, err := s.st.Query(ctx, store.Query{SQL: `SELECT id, argMax(name, revision), argMax(page, revision), argMax(state, revision),
  toUnixTimestamp64Milli(argMax(created_at, revision)), argMax(created_by, revision)
FROM saved_searches GROUP BY id HAVING argMax(deleted, revision) = 0 AND ({page:String} = '' OR argMax(page, revision) = {page:String})
ORDER BY lower(argMax(name, revision)), id LIMIT {n:UInt32}`,
		Params: map[string]string{"page": page, "n": strconv.Itoa(MaxSavedSearches)}, Settings: store.Settings{ReadOnly: true}})
	if err != nil {
		return nil, fmt.Errorf("cannot list saved searches: %w", err)
	}
	out := make([]SavedSearch, 0, len(res.Rows))
	for _, r := range res.Rows {
		ss := SavedSearch{ID: store.CellString(r[0]), Name: store.CellString(r[1]), Page: store.CellString(r[2]), State: store.CellString(r[3]),
			CreatedAt: store.CellUnixMilli(r[4]), CreatedBy: store.CellString(r[5])}
		ss.URL = searchURL(ss.Page, ss.State)
		out = append(out, ss)
	}
	return out, nil
}

// Delete removes search id. Only its creator or an admin may.
func (s *Searches) Delete(ctx context.Context, who Caller, id string, admin bool) error {
	all, err := s.List(ctx, "")
	if err != nil {
		return err
	}
	for _, ss := range all {
		if ss.ID != id {
			continue
		}
		if ss.CreatedBy != who.User && !admin {
			return fault.New(fault.Forbidden, "search %q was saved by %s; only they or an admin may delete it", ss.Name, ss.CreatedBy)
		}
		return s.write(ctx, ss, true)
	}
	return fault.New(fault.NotFound, "no saved search %s", show(id))
}

func searchURL(page, state string) string {
	if state == "" {
		return searchPages[page]
	}
	return searchPages[page] + "?" + state
}

package query

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// LinkSummary is one line of a list of links: what it pins, not its
// frozen result.
type LinkSummary struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Template  string    `json:"template"`
	Version   uint32    `json:"version"`
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	Snapshot  bool      `json:"snapshot"`
	URL       string    `json:"url"`
}

// MaxLinkList is how many links one list shows, newest first.
const MaxLinkList = 500

// List returns the links created by creator, newest first; an empty
// creator lists everyone's (for admins).
func (l *Links) List(ctx context.Context, creator string) ([]LinkSummary, error) {
	params := map[string]string{"n": strconv.Itoa(MaxLinkList)}
	where := ""
	if creator != "" {
		where = "WHERE created_by = {by:String}"
		params["by"] = creator
	}
	res, err := l.st.Query(ctx, store.Query{SQL: `SELECT id, title, template, version, toUnixTimestamp64Milli(from_time),
  toUnixTimestamp64Milli(to_time), toUnixTimestamp64Milli(created_at), created_by, snapshot IS NOT NULL
FROM shared_links ` + where + ` ORDER BY created_at DESC LIMIT {n:UInt32}`, Params: params, Settings: store.Settings{ReadOnly: true}})
	if err != nil {
		return nil, fmt.Errorf("cannot list shared links: %w", err)
	}
	out := make([]LinkSummary, 0, len(res.Rows))
	for _, r := range res.Rows {
		s := LinkSummary{ID: store.CellString(r[0]), Title: store.CellString(r[1]), Template: store.CellString(r[2]),
			Version: uint32(store.CellUint64(r[3])), CreatedBy: store.CellString(r[7]), Snapshot: store.CellUint64(r[8]) == 1}
		s.From, s.To, s.CreatedAt = store.CellUnixMilli(r[4]), store.CellUnixMilli(r[5]), store.CellUnixMilli(r[6])
		s.URL = "/s/" + s.ID
		out = append(out, s)
	}
	return out, nil
}

// Delete removes link id, with its frozen result. Only its creator or an
// admin may; anyone else is refused, and an unknown id is NotFound.
func (l *Links) Delete(ctx context.Context, who Caller, id string, admin bool) error {
	if !ValidLinkID(id) {
		return fault.New(fault.NotFound, "no shared link %s", show(id))
	}
	res, err := l.st.Query(ctx, store.Query{SQL: "SELECT created_by FROM shared_links WHERE id = {id:String} LIMIT 1",
		Params: map[string]string{"id": id}, Settings: store.Settings{ReadOnly: true}})
	if err != nil {
		return fmt.Errorf("cannot read shared link %s: %w", id, err)
	}
	if len(res.Rows) == 0 {
		return fault.New(fault.NotFound, "no shared link %q", id)
	}
	if by := store.CellString(res.Rows[0][0]); by != who.User && !admin {
		return fault.New(fault.Forbidden, "shared link %s was created by %s; only its creator or an admin may delete it", id, by)
	}
	// A lightweight delete: the row is gone for every read at once, and
	// from disk at the next merge.
	if err := l.st.Exec(ctx, store.Query{SQL: "DELETE FROM shared_links WHERE id = {id:String}", Params: map[string]string{"id": id}}); err != nil {
		return fmt.Errorf("cannot delete shared link %s: %w", id, err)
	}
	return nil
}

package query

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

func TestSavedSearchesSaveListDelete(t *testing.T) {
	ctx := context.Background()
	s := NewSearches(testStore)
	bob := Caller{User: "bob", Role: "viewer"}
	a, err := s.Save(ctx, alice, SavedSearch{Name: "  checkout errors ", Page: "logs", State: "?range=1h&service=checkout&level=error"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "checkout errors" || a.URL != "/logs?range=1h&service=checkout&level=error" || a.CreatedBy != "alice" {
		t.Fatalf("saved = %+v", a)
	}
	b, err := s.Save(ctx, bob, SavedSearch{Name: "Absolute", Page: "explore", State: "template=x&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.List(ctx, "")
	if err != nil || len(all) < 2 {
		t.Fatalf("list = %v, %v", all, err)
	}
	if logs, _ := s.List(ctx, "logs"); len(logs) == 0 || logs[0].Page != "logs" {
		t.Fatalf("list of logs = %v", logs)
	}
	if err := s.Delete(ctx, bob, a.ID, false); fault.KindOf(err) != fault.Forbidden {
		t.Fatalf("bob deleting alice's search = %v, want forbidden", err)
	}
	if err := s.Delete(ctx, alice, a.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, alice, b.ID, true); err != nil {
		t.Fatalf("an admin deleting bob's search = %v", err)
	}
	all, _ = s.List(ctx, "")
	for _, x := range all {
		if x.ID == a.ID || x.ID == b.ID {
			t.Fatalf("deleted search %s still listed", x.Name)
		}
	}
	if err := s.Delete(ctx, alice, a.ID, false); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("deleting twice = %v, want not found", err)
	}

	for _, c := range []struct {
		in   SavedSearch
		want string
	}{
		{SavedSearch{Name: "", Page: "logs"}, "name is required"},
		{SavedSearch{Name: "x", Page: "admin"}, `page "admin"`},
		{SavedSearch{Name: strings.Repeat("n", 300), Page: "logs"}, "name must be"},
		{SavedSearch{Name: "x", Page: "logs", State: "a=%zz"}, "state is not a query string"},
		{SavedSearch{Name: "x", Page: "logs", State: strings.Repeat("a", MaxSearchStateLen+1)}, "state must be"},
	} {
		if _, err := s.Save(ctx, alice, c.in); fault.KindOf(err) != fault.BadInput || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Save(%.40v) = %v, want %q", c.in, err, c.want)
		}
	}
}

func TestLinksListAndDelete(t *testing.T) {
	ctx := context.Background()
	tt := newTestTemplates(nil)
	tt.set("errors", 1, errorsV1)
	links := newTestLinks(tt)
	l, err := links.Create(ctx, alice, LinkRequest{Template: "errors", Params: map[string]any{"service": "listed"},
		From: "2026-03-01T10:00:00Z", To: "2026-03-01T11:00:00Z", Title: "to delete"}, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	mine, err := links.List(ctx, "alice")
	i := slices.IndexFunc(mine, func(s LinkSummary) bool { return s.ID == l.ID })
	if err != nil || i < 0 || mine[i].Title != "to delete" || !mine[i].From.Equal(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)) || mine[i].CreatedBy != "alice" {
		t.Fatalf("alice's links = %+v, %v", mine, err)
	}
	for _, s := range mine {
		if s.CreatedBy != "alice" {
			t.Fatalf("alice's list has %s's link %s", s.CreatedBy, s.ID)
		}
	}
	if bobs, _ := links.List(ctx, "bob"); len(bobs) != 0 {
		t.Fatalf("bob lists alice's links: %+v", bobs)
	}
	if err := links.Delete(ctx, Caller{User: "bob"}, l.ID, false); fault.KindOf(err) != fault.Forbidden {
		t.Fatalf("bob deleting = %v", err)
	}
	if err := links.Delete(ctx, alice, l.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := links.Get(ctx, l.ID, store.Settings{}); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("a deleted link = %v, want not found", err)
	}
	if err := links.Delete(ctx, alice, l.ID, false); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("deleting twice = %v", err)
	}
}

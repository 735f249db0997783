package dashboards

import "testing"

// The diff of two canonical forms reads as diff -u would print it: one
// hunk per group of changes with three lines of context, removals before
// additions, and a side with no lines naming the line before the hunk.
func TestUnifiedDiff(t *testing.T) {
	f := func(a, b, want string) {
		t.Helper()
		if got := UnifiedDiff("a", "b", a, b); got != want {
			t.Fatalf("UnifiedDiff(%q, %q) =\n%s\nwant\n%s", a, b, got, want)
		}
	}
	f("x\n", "x\n", "")
	f("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
		"--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n")
	f("a\nb\n", "", "--- a\n+++ b\n@@ -1,2 +0,0 @@\n-a\n-b\n")
	f("", "a\n", "--- a\n+++ b\n@@ -0,0 +1,1 @@\n+a\n")
	// Two changes far apart are two hunks.
	f("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "one\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ntwelve\n",
		"--- a\n+++ b\n@@ -1,4 +1,4 @@\n-1\n+one\n 2\n 3\n 4\n@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+twelve\n")
}

package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// TierPolicy is the storage policy schema step 0017 puts the tiered tables
// on: its volumes default, warm and cold are the hot, warm and cold tiers.
// The embedded engine's generated config defines it (store/chdb/tiers.go);
// a ClickHouse server needs a policy of that name.
const TierPolicy = "logmart_tiers"

// The storage tiers, from fastest to cheapest. TierArchive is not a disk
// of the engine's but the raw-record archive (ingest/archive), read in
// place through the tables it defines.
const (
	TierHot     = "hot"
	TierWarm    = "warm"
	TierCold    = "cold"
	TierArchive = "archive"
)

// Tiers lists the tiers in order.
var Tiers = []string{TierHot, TierWarm, TierCold, TierArchive}

// TieredTables are the tables whose parts move between the policy's disks
// (step 0017).
var TieredTables = []string{"logs", "events", "metrics"}

// The archive read in place (ingest/archive/inplace.go defines both):
// archive templates read ArchiveView, a view over ArchiveLines, the table
// over the archive's objects, which no template may name.
const (
	ArchiveView  = "archive_logs"
	ArchiveLines = "archive_lines"
)

// tierVolume maps the policy's volumes to tiers.
var tierVolume = map[string]string{"default": TierHot, "warm": TierWarm, "cold": TierCold}

// TierDisks reads which disks hold each tier's parts, from the engine's
// TierPolicy: {"hot": ["default"], "warm": ["warm"], "cold": ["cold"]}
// on the embedded engine. An engine without the policy has no tiers
// (an empty map): every part stays on the default disk. The names are the
// engine's, so a filter on a part's _disk_name is exact on a ClickHouse
// server whose disks are named otherwise.
func TierDisks(ctx context.Context, st Store) (map[string][]string, error) {
	res, err := st.Query(ctx, Query{SQL: "SELECT volume_name, disks FROM system.storage_policies WHERE policy_name = {p:String}",
		Params: map[string]string{"p": TierPolicy}})
	if err != nil {
		return nil, fmt.Errorf("cannot read the storage policy %s: %w", TierPolicy, err)
	}
	out := map[string][]string{}
	for _, r := range res.Rows {
		tier, ok := tierVolume[CellString(r[0])]
		if !ok || len(r) < 2 {
			continue
		}
		disks, _ := r[1].([]any)
		for _, d := range disks {
			out[tier] = append(out[tier], CellString(d))
		}
	}
	return out, nil
}

// DiskFilter is the table filter that keeps a tiered table's rows on the
// disks of the tiers allowed: a part on any other disk reads as empty.
// Empty when every tier with disks is allowed.
func DiskFilter(disks map[string][]string, allowed []string) string {
	var hidden []string
	for _, t := range []string{TierHot, TierWarm, TierCold} {
		if !slices.Contains(allowed, t) {
			hidden = append(hidden, disks[t]...)
		}
	}
	if len(hidden) == 0 {
		return ""
	}
	q := make([]string, len(hidden))
	for i, d := range hidden {
		q[i] = Quote(d)
	}
	return "_disk_name NOT IN (" + strings.Join(q, ", ") + ")"
}

// DiskTierFilter is the table filter that keeps only the parts of one
// tier, for estimates per tier; "0" when the tier has no disks.
func DiskTierFilter(disks map[string][]string, tier string) string {
	d := disks[tier]
	if len(d) == 0 {
		return Deny
	}
	q := make([]string, len(d))
	for i, x := range d {
		q[i] = Quote(x)
	}
	return "_disk_name IN (" + strings.Join(q, ", ") + ")"
}

// AndFilter joins two table filters; an empty one is no filter.
func AndFilter(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return "(" + a + ") AND (" + b + ")"
}

package chdb

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/logmart/logmart/store"
)

// TierPolicy is the storage policy of the engine's generated config: its
// volume default (the engine's own disk) is the hot tier, warm and cold
// the others. Schema step 0017 puts the ingest tables on it and moves rows
// TO VOLUME 'warm' and 'cold' by their streams' tier times
// (ingest/tiers.go).
const TierPolicy = store.TierPolicy

// tierConfigName is the generated config's file, in the data path.
const tierConfigName = "logmart-storage.xml"

// writeTierConfig writes the ClickHouse config that defines TierPolicy,
// for an engine on path with no config file of its own, and returns its
// name. The warm and cold disks are the folders path-warm and path-cold
// beside the engine's path (data/clickhouse-warm and data/clickhouse-cold
// under serve's --data), to be mounted on cheaper storage where that
// matters. The cold disk is a local folder, not an S3 disk: the embedded
// setup runs no S3-compatible server (its archive is a folder too), and
// an S3 disk in the engine's config would be reached at every boot. A
// ClickHouse config given in store.chdb.config_file is used instead, and
// tiers apply only when it defines the policy.
func writeTierConfig(path string) (string, error) {
	warm, cold := path+"-warm", path+"-cold"
	for _, d := range []string{warm, cold} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", fmt.Errorf("cannot create the tier folder %q: %w", d, err)
		}
	}
	conf := fmt.Sprintf(`<!-- Written by logmart at each start (store/chdb/tiers.go); edits are lost. -->
<clickhouse>
  <storage_configuration>
    <disks>
      <warm><path>%s/</path></warm>
      <cold><path>%s/</path></cold>
    </disks>
    <policies>
      <%s>
        <volumes>
          <default><disk>default</disk></default>
          <warm><disk>warm</disk></warm>
          <cold><disk>cold</disk></cold>
        </volumes>
      </%s>
    </policies>
  </storage_configuration>
</clickhouse>
`, xmlText(warm), xmlText(cold), TierPolicy, TierPolicy)
	name := filepath.Join(path, tierConfigName)
	if err := os.WriteFile(name, []byte(conf), 0o644); err != nil {
		return "", fmt.Errorf("cannot write the engine's storage config %q: %w", name, err)
	}
	return name, nil
}

// xmlText escapes s for an XML text node.
func xmlText(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			out = append(out, "&amp;"...)
		case '<':
			out = append(out, "&lt;"...)
		case '>':
			out = append(out, "&gt;"...)
		default:
			out = append(out, c)
		}
	}
	return string(out)
}

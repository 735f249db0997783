package archive

import (
	"github.com/logmart/logmart/store"
)

// The manifest. Every uploaded object has a row in archive_manifests
// (schema step 0014): its stream, day and hour, name, offsets, records,
// bytes and oldest and newest record time. An hour's rows are its
// manifest; `logmart archive ls` sums them by day. A table rather than a
// file per hour: an hour's objects come from every partition, on every
// replica, and keep coming while late records arrive, so a file would
// need one writer per hour; rows from each writer need none. A batch
// written again inserts the same rows with the same token, and a repeat
// that escapes deduplication is read once (LIMIT 1 BY object).

// ManifestTable is the table the rows go to.
const ManifestTable = "archive_manifests"

// ManifestBlock is the manifest rows of objects, written at writtenMs.
func ManifestBlock(objs []Object, writtenMs int64) *store.Block {
	var (
		stream, day, object, topic = store.Strings("stream"), store.Strings("dt"), store.Strings("object"), store.Strings("topic")
		hour                       = &store.UInt32Column{Name: "hour"}
		partition                  = &store.Int32Column{Name: "partition"}
		first, last                = &store.Int64Column{Name: "first_offset"}, &store.Int64Column{Name: "last_offset"}
		records, bytes, raw        = &store.UInt64Column{Name: "records"}, &store.UInt64Column{Name: "bytes"}, &store.UInt64Column{Name: "raw_bytes"}
		oldest                     = &store.Int64Column{Name: "oldest", Type: "DateTime64(3)"}
		newest                     = &store.Int64Column{Name: "newest", Type: "DateTime64(3)"}
		written                    = &store.Int64Column{Name: "written_at", Type: "DateTime64(3)"}
	)
	for _, o := range objs {
		stream.Append(o.Stream)
		day.Append(o.Day)
		hour.Append(uint32(o.Hour))
		object.Append(o.Key)
		topic.Append(o.Topic)
		partition.Append(o.Partition)
		first.Append(o.First)
		last.Append(o.Last)
		records.Append(uint64(o.Records))
		bytes.Append(uint64(len(o.Body)))
		raw.Append(uint64(o.RawBytes))
		oldest.Append(o.Oldest)
		newest.Append(o.Newest)
		written.Append(writtenMs)
	}
	return &store.Block{Cols: []store.BlockColumn{stream, day, hour, object, topic, partition, first, last,
		records, bytes, raw, oldest, newest, written}}
}

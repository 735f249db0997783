package ingest

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/logmart/logmart/ingest/archive"
)

// Archiving a batch (package ingest/archive says what and where). A
// batch's records are gathered for the archive as they are added, in the
// stream and at the time decoding gives them, dead letters and records
// older than their retention included. Its writer then, before it inserts
// the batch's rows, compresses the gathered lines into objects, uploads
// them and records them in archive_manifests (a row per object; a retry
// may add another, which readers fold), all retried until they succeed. The partition's offset moves past the batch
// only after that and the rows' insert: an archive that is down stops the
// partition as a ClickHouse that is down does (its health shows the
// failure), and a crash at any point leaves a batch the next owner cuts
// and archives again under the same names.

var (
	archiveObjects = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_archive_objects_total",
		Help: "Archive objects uploaded, by stream (a retried upload counts once).",
	}, []string{"stream"})
	archiveBytes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_archive_bytes_total",
		Help: "Compressed bytes of the archive objects uploaded, by stream.",
	}, []string{"stream"})
	archiveRecords = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_archive_records_total",
		Help: "Raw records archived, by stream.",
	}, []string{"stream"})
	archiveErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "logmart_archive_upload_errors_total",
		Help: "Failed archive uploads and manifest inserts; each is retried, and its partition waits, until it succeeds.",
	})
	archiveSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "logmart_archive_upload_duration_seconds",
		Help:    "Time to upload one archive object.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
	})
)

func init() {
	prometheus.MustRegister(archiveObjects, archiveBytes, archiveRecords, archiveErrors, archiveSeconds)
}

// ArchiveReady answers nil when the archive is off or can be written, for
// /readyz and for serve to check at start: ingest holds back while the
// archive cannot be written, so a wrong bucket or credentials should be
// one clear line rather than partitions that stall.
func (g *Ingester) ArchiveReady(ctx context.Context) error {
	if g.arch == nil {
		return nil
	}
	return g.arch.Ping(ctx)
}

// archive uploads the batch's archive objects and records them in the
// manifest, retrying until both succeed or the Ingester stops. A batch
// without records for the archive (the archive is off) passes.
func (g *Ingester) archive(ctx context.Context, b *partBatch, h *partHealth) error {
	if b.arch == nil {
		return nil
	}
	objs := b.arch.Objects(b.topic, b.partition)
	b.arch = nil
	if len(objs) == 0 {
		return nil
	}
	uploaded := make([]bool, len(objs))
	return g.retry(ctx, "archive a batch", h, func() error {
		for i := range objs {
			if uploaded[i] {
				continue
			}
			o := &objs[i]
			start := time.Now()
			if err := g.arch.Put(ctx, o.Key, o.Body); err != nil {
				archiveErrors.Inc()
				return err
			}
			archiveSeconds.Observe(time.Since(start).Seconds())
			uploaded[i] = true
			archiveObjects.WithLabelValues(o.Stream).Inc()
			archiveBytes.WithLabelValues(o.Stream).Add(float64(len(o.Body)))
			archiveRecords.WithLabelValues(o.Stream).Add(float64(o.Records))
		}
		// No deduplication token: a retry after a crash inserts the rows
		// again, and readers take one row per object (archive.Catalog).
		// With a token, a crash between the engine's deduplication log
		// and the part it guards could drop the retry as a duplicate of a
		// row that never landed, and leave an object out of the manifest.
		block := archive.ManifestBlock(objs, time.Now().UnixMilli())
		if err := g.st.Insert(ctx, archive.ManifestTable, block, ""); err != nil {
			archiveErrors.Inc()
			return err
		}
		return nil
	})
}

package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/logmart/logmart/internal/apiclient"
	"github.com/logmart/logmart/query"
)

func runArchive(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(os.Stderr, `usage: logmart archive <command> [flags]

commands:
  ls          per stream and day of the records' time: objects, records, bytes, oldest and newest record
  rehydrate   store a stream's archived records of a time range in ClickHouse again (idempotent)

run 'logmart archive <command> -h' for a command's flags
`)
		if len(args) == 0 {
			return usageError{fmt.Errorf("give a command: ls or rehydrate")}
		}
		return flag.ErrHelp
	}
	switch args[0] {
	case "ls":
		return runArchiveLs(args[1:])
	case "rehydrate":
		return runArchiveRehydrate(args[1:])
	}
	return usageError{fmt.Errorf("unknown command %q: use ls or rehydrate", args[0])}
}

func runArchiveLs(args []string) error {
	fs := newFlags("archive ls")
	api := apiFlags(fs)
	stream := fs.String("stream", "", "only this stream (default: every stream)")
	from := fs.String("from", "", "only days with records at or after this time: "+query.TimeForms+" (default: the earliest)")
	to := fs.String("to", "", "only days with records before this time (default: the latest)")
	asJSON := fs.Bool("json", false, `print the server's answer: {"days":[{"stream","day","objects","records","bytes","oldest","newest"}]}`)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	cl, err := api.client()
	if err != nil {
		return err
	}
	days, err := cl.ArchiveDays(context.Background(), *stream, *from, *to)
	if err != nil {
		return err
	}
	if *asJSON {
		_, err := fmt.Fprintf(os.Stdout, "%s\n", days.Raw)
		return err
	}
	if len(days.Days) == 0 {
		fmt.Println("nothing archived in that range")
		return nil
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "STREAM\tDAY\tOBJECTS\tRECORDS\tBYTES\tOLDEST\tNEWEST\t")
	for _, d := range days.Days {
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t\n", d.Stream, d.Day, d.Objects, d.Records, d.Bytes,
			d.Oldest.UTC().Format(time.RFC3339), d.Newest.UTC().Format(time.RFC3339))
	}
	return w.Flush()
}

func runArchiveRehydrate(args []string) error {
	fs := newFlags("archive rehydrate")
	api := apiFlags(fs)
	stream := fs.String("stream", "", "the stream whose archive is read (required)")
	from := fs.String("from", "", "records at or after this time of their own (required): "+query.TimeForms)
	to := fs.String("to", "", "records before this time (default: now)")
	filter := fs.String("filter", "", `only records this expression keeps, over the fields of a stream's match in streams.yaml (e.g. 'service == "api" && level == "error"'); logs and events only (default: all)`)
	maxRecords := fs.Int("max-records", 0, "stop after this many records of the range, those already stored included (default 0: no limit)")
	asJSON := fs.Bool("json", false, "print the finished job as the server answers it, instead of a line")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if *stream == "" || *from == "" {
		return usageError{fmt.Errorf("--stream and --from are required")}
	}
	cl, err := api.client()
	if err != nil {
		return err
	}
	ctx := context.Background()
	job, err := cl.StartRehydrate(ctx, apiclient.RehydrateRequest{Stream: *stream, From: *from, To: *to, Filter: *filter, MaxRecords: *maxRecords})
	if err != nil {
		return err
	}
	// Ctrl-C cancels the job on the server, then waits for it to stop.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	bar := isTerminal(os.Stderr) && !*asJSON
	id := job.Progress.Job
	for job.State == "running" {
		if bar {
			fmt.Fprintf(os.Stderr, "\r%s", progressLine(job.Progress))
		}
		select {
		case <-sig:
			if _, err := cl.CancelRehydrate(ctx, id); err != nil {
				return err
			}
		case <-time.After(250 * time.Millisecond):
		}
		if job, err = cl.RehydrateJob(ctx, id); err != nil {
			return err
		}
	}
	if bar {
		fmt.Fprintf(os.Stderr, "\r%s\n", progressLine(job.Progress))
	}
	p := job.Progress
	if *asJSON {
		fmt.Printf("%s\n", job.Raw)
	} else if job.State == "done" {
		fmt.Printf("%s: rehydrated %d records of stream %s, %d rows newly stored (%d records already stored, %d filtered out, %d undecodable) from %d objects\n",
			p.Job, p.Records, *stream, p.Stored, p.AlreadyStored, p.Filtered, p.Undecodable, p.Done)
	}
	switch job.State {
	case "done":
		return nil
	case "cancelled":
		return fmt.Errorf("job %s cancelled after %d of %d objects (%d rows newly stored); what is stored stays, and running it again completes it", id, p.Done, p.Objects, p.Stored)
	}
	if p.Done == 0 {
		return fmt.Errorf("job %s failed: %s", id, job.Error)
	}
	return fmt.Errorf("job %s failed after %d of %d objects (%d rows newly stored; running it again completes it): %s", id, p.Done, p.Objects, p.Stored, job.Error)
}

// progressLine is a job's progress as one line with a bar of objects read.
func progressLine(p apiclient.RehydrateProgress) string {
	const width = 30
	n := 0
	if p.Objects > 0 {
		n = p.Done * width / p.Objects
	}
	return fmt.Sprintf("[%s%s] %d/%d objects, %d records, %d rows stored",
		strings.Repeat("#", n), strings.Repeat(".", width-n), p.Done, p.Objects, p.Records, p.Stored)
}

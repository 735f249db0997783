package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/logmart/logmart/query"
)

func runArchive(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(os.Stderr, `usage: logmart archive <command> [flags]

commands:
  ls   per stream and day of the records' time: objects, records, bytes, oldest and newest record

run 'logmart archive <command> -h' for a command's flags
`)
		if len(args) == 0 {
			return usageError{fmt.Errorf("give a command: ls")}
		}
		return flag.ErrHelp
	}
	switch args[0] {
	case "ls":
		return runArchiveLs(args[1:])
	}
	return usageError{fmt.Errorf("unknown command %q: use ls", args[0])}
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

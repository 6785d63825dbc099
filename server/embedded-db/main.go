// Command embedded-db runs FerretDB 1.24 in-process as the service's embedded
// MongoDB-compatible database. Node starts it as a child process (server/embedded-db.ts);
// it prints its MongoDB URI as one JSON line on stdout once the listener is ready, and exits
// when its stdin closes so that a parent that dies never leaves an orphaned database.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "TCP address to listen on (port 0 picks a free one)")
	handler := flag.String("handler", "sqlite", "backend: sqlite or postgresql")
	sqliteURL := flag.String("sqlite-url", "file:data/", "SQLite directory URI for the sqlite backend")
	postgresqlURL := flag.String("postgresql-url", "", "PostgreSQL URL for the postgresql backend")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fail(err)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	db, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: *listen},
		Logger:        logger,
		Handler:       *handler,
		SQLiteURL:     *sqliteURL,
		PostgreSQLURL: *postgresqlURL,
	})
	if err != nil {
		fail(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	go func() {
		// Stdin is a pipe held by the parent; EOF means the parent is gone.
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
	}()

	go func() {
		// MongoDBURI waits until the listener is bound, so the line means "ready for connections".
		line, _ := json.Marshal(map[string]string{"uri": db.MongoDBURI()})
		fmt.Println(string(line))
	}()

	if err := db.Run(ctx); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "embedded-db:", err)
	os.Exit(1)
}

// Command embedded-db runs FerretDB 1.24 in-process as the service's embedded
// MongoDB-compatible database. Node starts it as a child process (server/embedded-db.ts);
// it prints its MongoDB URI as one JSON line on stdout once the listener is ready, and exits
// when its stdin closes so that a parent that dies never leaves an orphaned database.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "TCP address to listen on (port 0 picks a free one)")
	handler := flag.String("handler", "sqlite", "backend: sqlite or postgresql")
	sqliteURL := flag.String("sqlite-url", "file:data/", "SQLite directory URI for the sqlite backend")
	postgresqlURL := flag.String("postgresql-url", "", "PostgreSQL URL for the postgresql backend")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	walCheckpoint := flag.Duration("wal-checkpoint", 0, "sqlite: how often a write-ahead log over 4 MiB is checkpointed and emptied (0: never)")
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

	if *handler == "sqlite" && *walCheckpoint > 0 {
		go checkpointWALs(ctx, *sqliteURL, *walCheckpoint, logger)
	}

	if err := db.Run(ctx); err != nil {
		fail(err)
	}
}

// walLimit is the size of write-ahead log that checkpointWALs leaves alone: about SQLite's own autocheckpoint point
// (1000 pages of 4 KiB), which the log reaches in normal operation.
const walLimit = 4 << 20

// checkpointWALs keeps the write-ahead log of every SQLite database in the folder of sqliteURL small while the engine
// runs.
//
// SQLite starts a WAL over from its beginning only when a write begins after a checkpoint has copied every frame back
// into the database and no reader is still inside the WAL. With clients reading while others write, that moment
// rarely comes: the automatic (passive) checkpoints copy the frames back, but the log is seldom started over, so the file
// grew to many times the database (399 MB beside 41 MB after one 3,000-row import) until a clean shutdown. A TRUNCATE
// checkpoint waits a moment for the readers inside the WAL to finish, copies the rest back, and empties the file.
// A reader that stays longer (a slow query; a cursor a client keeps open holds its SQLite read transaction) makes the
// attempt give up after the busy timeout, and the next tick tries again; writers wait meanwhile, so the wait is short
// (250 ms) unless the log has grown past its database (1 s).
func checkpointWALs(ctx context.Context, sqliteURL string, every time.Duration, logger *slog.Logger) {
	u, err := url.Parse(sqliteURL)
	if err != nil {
		logger.Error("embedded-db: WAL checkpoints disabled", slog.String("error", err.Error()))
		return
	}

	dir := u.Path
	if dir == "" {
		dir = u.Opaque
	}

	ticker := time.NewTicker(every)
	defer ticker.Stop()

	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}

		files, _ := filepath.Glob(filepath.Join(dir, "*.sqlite"))
		for _, file := range files {
			wal, err := os.Stat(file + "-wal")
			if err != nil || wal.Size() <= walLimit {
				continue
			}

			// Writers wait while the checkpoint waits for readers: briefly, unless the log has outgrown its database.
			wait := 250 * time.Millisecond
			if db, err := os.Stat(file); err == nil && wal.Size() > max(db.Size(), 4*walLimit) {
				wait = time.Second
			}

			if err := checkpointWAL(ctx, file, wait); err != nil {
				logger.Warn("embedded-db: WAL checkpoint failed", slog.String("file", filepath.Base(file)), slog.String("error", err.Error()))
			}
		}
	}
}

// checkpointWAL runs one TRUNCATE checkpoint on its own short-lived connection; FerretDB's connections stay open, so
// closing this one does not checkpoint again. mode=rw never creates a database that FerretDB has just dropped.
func checkpointWAL(ctx context.Context, file string, wait time.Duration) error {
	db, err := sql.Open("sqlite", fmt.Sprintf("file:%s?mode=rw&_pragma=busy_timeout(%d)", file, wait.Milliseconds()))
	if err != nil {
		return err
	}
	defer db.Close()

	var busy, frames, checkpointed int
	return db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &checkpointed)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "embedded-db:", err)
	os.Exit(1)
}

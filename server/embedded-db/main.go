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
	"strconv"
	"strings"
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
	plannerStats := flag.Duration("planner-statistics", 0, "sqlite: how often the query planner's statistics are brought up to date where tables changed size (0: never)")
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

	if *handler == "sqlite" && *plannerStats > 0 {
		go keepPlannerStatistics(ctx, *sqliteURL, *plannerStats, logger)
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
	eachDatabase(ctx, sqliteURL, every, every, logger, "WAL checkpoint", func(file string) error {
		wal, err := os.Stat(file + "-wal")
		if err != nil || wal.Size() <= walLimit {
			return nil
		}

		// Writers wait while the checkpoint waits for readers: briefly, unless the log has outgrown its database.
		wait := 250 * time.Millisecond
		if db, err := os.Stat(file); err == nil && wal.Size() > max(db.Size(), 4*walLimit) {
			wait = time.Second
		}

		return checkpointWAL(ctx, file, wait)
	})
}

// eachDatabase calls do for every SQLite database in the folder of sqliteURL, first after `first`, then every `every`
// after the previous round, until ctx is done; what fails is logged and tried again next round.
func eachDatabase(ctx context.Context, sqliteURL string, first, every time.Duration, logger *slog.Logger, what string, do func(file string) error) {
	u, err := url.Parse(sqliteURL)
	if err != nil {
		logger.Error("embedded-db: "+what+" disabled", slog.String("error", err.Error()))
		return
	}

	dir := u.Path
	if dir == "" {
		dir = u.Opaque
	}

	timer := time.NewTimer(first)
	defer timer.Stop()

	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}

		files, _ := filepath.Glob(filepath.Join(dir, "*.sqlite"))
		for _, file := range files {
			if err := do(file); err != nil {
				logger.Warn("embedded-db: "+what+" failed", slog.String("file", filepath.Base(file)), slog.String("error", err.Error()))
			}
		}

		timer.Reset(every)
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

// keepPlannerStatistics gives SQLite's query planner statistics (sqlite_stat1) and keeps them current.
//
// Without them the planner guesses that an equality on the first column of an index is selective. Every index the
// pushdown patches create starts with a field's type rank, which is the same for nearly every document, so the planner
// took "rank = string" for a narrow lookup: a manager's page (their own customers or their teams', sorted by name)
// ran its check for unusual sort values by reading all 368 of their customers a second time (39 ms; 20 ms with
// statistics), and a tag's page likewise (78 -> 45 ms), at 10,000 customers.
//
// The averages of fields with few values are then capped (favourRareValues).
//
// PRAGMA optimize analyzes only the tables that have no statistics or have changed size about tenfold since, so a
// tick with nothing to do costs a few milliseconds; a full ANALYZE of 10,000 customers with their contacts, visits
// and history takes about 0.7 s, and runs again only when a table grows or shrinks by that much. Each FerretDB
// connection loads the statistics with the schema, so when they changed, a schema change (an empty table created and
// dropped) makes every connection load them again before its next statement.
func keepPlannerStatistics(ctx context.Context, sqliteURL string, every time.Duration, logger *slog.Logger) {
	eachDatabase(ctx, sqliteURL, time.Second, every, logger, "planner statistics update", func(file string) error {
		return updatePlannerStatistics(ctx, file)
	})
}

// updatePlannerStatistics runs PRAGMA optimize on its own short-lived connection (writers wait up to a second for it
// or it for them) and, when the statistics changed, makes every connection load them.
func updatePlannerStatistics(ctx context.Context, file string) error {
	db, err := sql.Open("sqlite", fmt.Sprintf("file:%s?mode=rw&_pragma=busy_timeout(1000)", file))
	if err != nil {
		return err
	}
	defer db.Close()

	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()

	statistics := func() string {
		var s sql.NullString
		// No sqlite_stat1 table yet is no statistics.
		_ = conn.QueryRowContext(ctx, "SELECT group_concat(tbl || ' ' || IFNULL(idx, '') || ' ' || stat, ';') FROM sqlite_stat1").Scan(&s)
		return s.String
	}

	before := statistics()

	// 0: every row, not a sample; 0x10002: every table that needs it, not only those this connection used.
	if _, err = conn.ExecContext(ctx, "PRAGMA analysis_limit = 0"); err != nil {
		return err
	}

	if _, err = conn.ExecContext(ctx, "PRAGMA optimize = 0x10002"); err != nil {
		return err
	}

	if err = favourRareValues(ctx, conn); err != nil {
		return err
	}

	if statistics() == before {
		return nil
	}

	_, err = conn.ExecContext(ctx, "CREATE TABLE _ferretdb_reload_statistics (x); DROP TABLE _ferretdb_reload_statistics")

	return err
}

// favourRareValues drops the statistics of small tables and tells the planner less about the indexes on a field with
// at most a few distinct values.
//
// The statistics give the average number of rows per value, not per this value. On a flag that a few documents carry
// (a customer whose report row is behind: 0 of 10,000), the honest average (10,000) made the planner scan the whole
// collection for those few (0.06 -> 384 ms). Queries on such fields ask for the rare value (the common one is a scan
// whichever way it is read), so the average of the field's prefix and those after it are capped at 10 rows, the
// planner's own guess without statistics. Only collections' indexes: the multikey side tables keep theirs.
func favourRareValues(ctx context.Context, conn *sql.Conn) error {
	var analyzed int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE name IN ('sqlite_stat1', 'sqlite_stat4')").Scan(&analyzed); err != nil || analyzed < 2 {
		return err
	}

	// Small tables have none: whichever way the planner reads them, it is quick, and without statistics it keeps to
	// the indexes, as in a collection that is about to grow (a table's statistics are taken again only once its size
	// has changed tenfold).
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(
		"DELETE FROM sqlite_stat1 WHERE CAST(stat AS INTEGER) < %[1]d; DELETE FROM sqlite_stat4 WHERE tbl NOT IN (SELECT tbl FROM sqlite_stat1)",
		minAnalyzedRows,
	)); err != nil {
		return err
	}

	rows, err := conn.QueryContext(ctx, `SELECT idx, stat FROM sqlite_stat1 WHERE idx IS NOT NULL AND substr(tbl, 1, 10) <> '_ferretdb_'`)
	if err != nil {
		return err
	}

	changed := map[string]string{}

	for rows.Next() {
		var idx, stat string
		if err = rows.Scan(&idx, &stat); err != nil {
			_ = rows.Close()
			return err
		}

		if adjusted := capFewValues(idx, stat); adjusted != stat {
			changed[idx] = adjusted
		}
	}

	if err = rows.Close(); err != nil {
		return err
	}

	for idx, stat := range changed {
		if _, err = conn.ExecContext(ctx, "UPDATE sqlite_stat1 SET stat = ? WHERE idx = ?", stat, idx); err != nil {
			return err
		}
	}

	return nil
}

// minAnalyzedRows is the size below which a table keeps no statistics.
const minAnalyzedRows = 1000

// capFewValues is an index's sqlite_stat1 entry ("rows avg1 avg2 ... [options]") with the averages from the first
// field's value on capped at 10 when that field has fewer than 4 values on average. A pushdown index (name ending
// in _pd) has a type rank column before each field's value column; FerretDB's own indexes have the value alone.
func capFewValues(idx, stat string) string {
	words := strings.Fields(stat)

	var counts []int64

	for _, w := range words {
		n, err := strconv.ParseInt(w, 10, 64)
		if err != nil {
			break
		}

		counts = append(counts, n)
	}

	first := 1
	if strings.HasSuffix(idx, "_pd") {
		first = 2
	}

	// (tables under minAnalyzedRows have no statistics left by now)
	if len(counts) <= first || counts[first]*4 <= counts[0] {
		return stat
	}

	for i := first; i < len(counts); i++ {
		words[i] = strconv.FormatInt(min(counts[i], 10), 10)
	}

	return strings.Join(words, " ")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "embedded-db:", err)
	os.Exit(1)
}

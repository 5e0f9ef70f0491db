package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
)

// backupSource is what GET /admin/backup copies: *bolt.Store.
type backupSource interface {
	Backup(ctx context.Context, w io.Writer) (int64, error)
	Path() string
}

// backupHandler serves GET /admin/backup. The copy is first written to a
// temporary file next to the database, so its read transaction lasts as long
// as a local disk copy and not as long as the client takes to download (a
// slow reader would otherwise keep the transaction open, and bbolt cannot
// grow the file under an open reader, which holds up writers). The file is
// removed when the response ends. Each backup is logged (audit trail).
func backupHandler(st backupSource, enabled bool, client func(*http.Request) string, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !enabled {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "online backup disabled (server.admin_backup: false)"})
			return
		}
		log.Info("admin: online backup requested", "client", client(r))
		f, err := os.CreateTemp(filepath.Dir(st.Path()), ".switchboard-backup-*")
		if err != nil {
			log.Error("online backup failed: temporary file", "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "could not write the backup"})
			return
		}
		defer os.Remove(f.Name())
		defer f.Close()
		n, err := st.Backup(r.Context(), f)
		if err == nil {
			_, err = f.Seek(0, io.SeekStart)
		}
		if err != nil {
			log.Error("online backup failed", "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "could not write the backup"})
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="switchboard-backup.db"`)
		if _, err := io.Copy(w, f); err != nil {
			log.Warn("online backup: the client did not take it all", "client", client(r), "bytes", n, "err", err)
			return
		}
		log.Info("admin: online backup sent", "client", client(r), "bytes", n)
	})
}

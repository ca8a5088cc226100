package auditlog

import (
	"context"
	"database/sql"
	"fmt"
)

// JournalEntries reads the entries in the journal beside db's file, oldest
// first: acknowledged entries a server wrote and has not yet copied into
// the tables (it does so within a second while it runs, or at its next
// start after a crash), and possibly some the tables already hold. None
// when there is no journal. A reader that wants the whole log reads them
// before its table snapshot: entries leave the journal only after the
// tables hold them, so the two then overlap or meet, never leave a gap.
func JournalEntries(ctx context.Context, db *sql.DB) ([]*Entry, error) {
	j, err := readJournalView(ctx, db)
	if err != nil {
		return nil, err
	}
	if j.perr != nil {
		return nil, fmt.Errorf("auditlog: the access journal %s is %w (run carex audit verify)", j.path, j.perr)
	}
	out := make([]*Entry, 0, len(j.frames))
	for _, data := range j.frames {
		e, err := Decode(data)
		if err != nil {
			return nil, fmt.Errorf("auditlog: the access journal %s: %w (run carex audit verify)", j.path, err)
		}
		out = append(out, e)
	}
	return out, nil
}

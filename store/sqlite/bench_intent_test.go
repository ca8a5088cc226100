package sqlite

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/storetest"
)

// BenchmarkCommitIntent: one Observation per Commit, one caller at a
// time, without and with an access-log entry kept with it (a 700-byte
// entry, about what api.LogRecorder.Intent makes) and the previous one
// forgotten, as every audited write does since 5e7793f: an INSERT per
// request and a DELETE per transaction, in the same disk sync.
//
//	go test ./store/sqlite -run '^$' -bench CommitIntent -benchtime 3s -count 5
func BenchmarkCommitIntent(b *testing.B) {
	entry := []byte(`{"since":12345,"entry":` + strings.Repeat("x", 680) + `}`)
	for _, keep := range []bool{false, true} {
		name := "intent=no"
		if keep {
			name = "intent=yes"
		}
		b.Run(name, func(b *testing.B) {
			db := openAt(b, "")
			ctx := context.Background()
			prev := ""
			b.ResetTimer()
			for i := range b.N {
				id := "o" + strconv.Itoa(i)
				w := storetest.W(b, store.OpUpdate, "A81001", `{"resourceType":"Observation","id":"`+id+`","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p1"}}`)
				var prepare func(store.Lookup) error
				if keep {
					prepare = func(l store.Lookup) error {
						l.Intend(id, func([]*store.WriteResult) []byte { return entry })
						return nil
					}
				}
				if _, err := db.Commit(ctx, []*store.Write{w}, prepare); err != nil {
					b.Fatal(err)
				}
				if keep {
					if prev != "" {
						db.ForgetIntents(prev)
					}
					prev = id
				}
			}
		})
	}
}

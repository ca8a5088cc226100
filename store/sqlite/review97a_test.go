package sqlite_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/storetest"
)

// TestReview97aSoundWindowItemsDoNotAlias: window keeps its rows'
// versions by value in chunks (6950457). Every Item of a 600-row
// compartment page (past several chunks of up to 256) is independent:
// writing into one's labels, people or body, or appending to them,
// changes no other's.
func TestReview97aSoundWindowItemsDoNotAlias(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	var ws []*store.Write
	ws = append(ws, storetest.W(t, store.OpUpdate, "A81001", `{"resourceType":"Patient","id":"p1"}`))
	for i := range 600 {
		w := storetest.W(t, store.OpUpdate, "A81001", fmt.Sprintf(`{"resourceType":"Observation","id":"o%d","status":"final","code":{"text":"O%d"},"subject":{"reference":"Patient/p1"}}`, i, i))
		w.Labels = []string{"L", fmt.Sprintf("L%d", i)}
		ws = append(ws, w)
	}
	if _, err := s.Commit(ctx, ws, nil); err != nil {
		t.Fatal(err)
	}
	for _, count := range []int{600, 40} {
		res, err := s.Compartment(ctx, "p1", []string{"Observation"}, nil, store.Page{Count: count})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) != count {
			t.Fatalf("%d items, want %d", len(res.Items), count)
		}
		want := make([]string, len(res.Items))
		for i, v := range res.Items {
			want[i] = fmt.Sprintf("%v %v %s", v.Labels, v.Patients, v.Raw)
		}
		for i, v := range res.Items {
			if len(v.Labels) > 0 {
				v.Labels[0] = "MUT"
			}
			v.Labels = append(v.Labels, "APPENDED")
			if len(v.Patients) > 0 {
				v.Patients[0] = "MUT"
			}
			v.Patients = append(v.Patients, "APPENDED")
			if len(v.Raw) > 0 {
				v.Raw[0] = '#'
			}
			for j := i + 1; j < len(res.Items); j++ {
				w := res.Items[j]
				if got := fmt.Sprintf("%v %v %s", w.Labels, w.Patients, w.Raw); got != want[j] {
					t.Fatalf("count %d: changing item %d changed item %d: %.200s, was %.200s", count, i, j, got, want[j])
				}
			}
		}
	}
}

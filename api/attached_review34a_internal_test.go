package api

// Review 34a: cost of b22b44a's scanText (digitValue walks back to its
// run's zero: up to 49 steps for a mathematical digit), eachBase64Run
// (blankLineAt at each line break) and TextLabels, on worst-case texts of
// 1 and 6 MiB. Measured, not asserted:
//   go test ./api -run '^$' -bench Review34a -benchtime 3x

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/carex-project/carex/consent"
)

func BenchmarkReview34aScanTextDigits(b *testing.B) {
	pol := consent.DefaultPolicy()
	rows := []struct {
		name string
		r    string
	}{
		{"ascii-digits", "8"},
		{"devanagari-9", "\u096f"},
		{"math-mono-9", "\U0001d7ff"}, // last of five adjacent runs: 49 steps back
		{"fullwidth-9", "\uff19"},
		{"cgj", "8\u034f"},
	}
	for _, size := range []int{1 << 20, 6 << 20} {
		for _, row := range rows {
			text := []byte(strings.Repeat(row.r, size/len(row.r)))
			b.Run(row.name+"/"+map[int]string{1 << 20: "1MiB", 6 << 20: "6MiB"}[size], func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				for b.Loop() {
					pol.TextLabels(scanText(text))
				}
			})
		}
	}
}

func BenchmarkReview34aBase64RunLineBreaks(b *testing.B) {
	rows := map[string]string{
		"lf-only":        "\n",
		"crlf-only":      "\r\n",
		"a-lf":           "A\n",
		"a-crlf":         "A\r\n",
		"b64line-lf":     strings.Repeat("A", 76) + "\n",
		"b64-blank-each": strings.Repeat("A", 64) + "\n\n",
		"padded-joined":  "QUJD=\n",
	}
	for _, size := range []int{1 << 20, 6 << 20} {
		for name, unit := range rows {
			text := []byte(strings.Repeat(unit, size/len(unit)))
			b.Run(name+"/"+map[int]string{1 << 20: "1MiB", 6 << 20: "6MiB"}[size], func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				for b.Loop() {
					n := 0
					eachBase64Run(text, func(raw []byte) { n += len(raw) })
				}
			})
		}
	}
}

// BenchmarkReview34aPeopleInRuns: unreadPeople on XML with many short
// base64 runs (which nil: a restricted person's own item), 1 and 6 MiB.
func BenchmarkReview34aPeopleInRuns(b *testing.B) {
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	run := `<data value="` + enc(strings.Repeat("Seen in clinic, BP 120/80. ", 3)) + `"/>`
	for _, size := range []int{1 << 20, 6 << 20} {
		xml := "<letter>" + strings.Repeat(run, size/len(run)) + "</letter>"
		data := base64.StdEncoding.EncodeToString([]byte(xml))
		b.Run(map[int]string{1 << 20: "1MiB", 6 << 20: "6MiB"}[size], func(b *testing.B) {
			b.SetBytes(int64(len(xml)))
			for b.Loop() {
				unreadPeople(data, "application/xml", true, nil)
			}
		})
	}
}

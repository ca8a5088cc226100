package api

import (
	"math/rand"
	"strings"
	"testing"
)

// compressedLetter is a generated clinical letter of prose opening with
// open (review 89g's generator).
func compressedLetter(rng *rand.Rand, open string) string {
	words := strings.Fields("seen in clinic today wound healing well review in two weeks ECG sinus rhythm rate 72 bpm BP 132/84 mmHg no chest pain on examination chest clear heart sounds normal plan continue ramipril 5mg od and amlodipine 10mg bloods FBC U&E LFT normal Hb 128 g/L eGFR 64 discharged home with district nurse follow-up; patient and daughter aware. (see below) - 1) 2) NB: pt")
	var b strings.Builder
	b.WriteString(open)
	for i, n := 0, 20+rng.Intn(200); i < n; i++ {
		if rng.Intn(6) == 0 {
			b.WriteByte(" \n,."[rng.Intn(4)])
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(words[rng.Intn(len(words))])
	}
	return b.String()
}

// TestCompressedNotLetters: letters of prose whose first two bytes form
// a valid zlib header (with and without the preset-dictionary flag) are
// not called compressed (reviews 89f, 89g: openings such as "(SR) ",
// "HK: ", "80mg ", "(re: " were withheld, up to 5.6% of them); nor is
// more than 1 in 10,000 random 256-byte blobs (a signature in base64)
// that open as zlib or gzip does.
func TestCompressedNotLetters(t *testing.T) {
	rng := rand.New(rand.NewSource(89))
	const n = 3000
	for _, open := range []string{"(SR) ", "(S2) ", "(S) ", "(re: ", "(4) ", "HK: ", "HK ", "Hj", "H, ", "x 2 tablets ", "x 1 ", "x^c note: ", "x? ", "80 year old ", "80-year-old ", "80mg ", "8O ", "XG ", "Xf ", "hCG ", "hb ", "hC ", "h$ "} {
		called := 0
		for i := 0; i < n; i++ {
			if c, _ := compressed([]byte(compressedLetter(rng, open))); c {
				called++
			}
		}
		if called > 0 {
			t.Errorf("%q: %d of %d letters called compressed", open, called, n)
		}
	}
	const blobs = 2_000_000
	called, headed := 0, 0
	sig := make([]byte, 256)
	for i := 0; i < blobs; i++ {
		rng.Read(sig[:2])
		zlibHeader := sig[0]&0x0f == 8 && sig[0]>>4 <= 7 && (int(sig[0])<<8|int(sig[1]))%31 == 0
		if !zlibHeader && !(sig[0] == 0x1f && sig[1] == 0x8b) {
			continue
		}
		headed++
		rng.Read(sig[2:])
		if c, _ := compressed(sig); c {
			called++
		}
	}
	t.Logf("random 256-byte blobs: %d of %d open as zlib or gzip does; %d called compressed", headed, blobs, called)
	if called*10_000 > blobs {
		t.Errorf("%d of %d random blobs called compressed", called, blobs)
	}
}

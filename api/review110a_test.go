package api_test

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"image"
	"image/color/palette"
	"image/gif"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
)

// Review 110a: a re-read of ae8734f (revision 2026-12-07v), a517925
// (2026-12-07w) and ea627ba (the mend of eachBase64Block). Jane's shared
// record (r98bSeed); real server, real SQLite file, real tokens. SPEC §1:
// the social worker sees problems and care plans, no clinical notes or
// documents; the IG officer no clinical content.

// r110aPNGBefore inserts a chunk of type typ just before a PNG's IEND
// (where a writer puts tIME, and where an editor appends its own).
func r110aPNGBefore(p []byte, typ string, data []byte) []byte {
	c := make([]byte, 8, 12+len(data))
	binary.BigEndian.PutUint32(c, uint32(len(data)))
	copy(c[4:], typ)
	c = append(c, data...)
	c = binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
	out := append([]byte{}, p[:len(p)-12]...)
	out = append(out, c...)
	return append(out, p[len(p)-12:]...)
}

// r110aJPEGSegment inserts a segment (marker m) after a JPEG's SOI.
func r110aJPEGSegment(j []byte, m byte, body []byte) []byte {
	seg := append([]byte{0xff, m, byte((len(body) + 2) >> 8), byte(len(body) + 2)}, body...)
	return append(append(append([]byte{}, j[:2]...), seg...), j[2:]...)
}

// r110aLetterPictures are real pictures (each decodes) holding the GP's
// letter in places pngChunksOnly, jpegSegmentsOnly and gifBlocksOnly let
// through unbounded: a PNG chunk of a type PNG defines (tIME, sPLT's
// palette name, an iCCP profile) that Go's decoder skips; a JPEG's APP0
// and APP2 segments (neither counted in metaText), a comment opening
// "XML:com.adobe.xmp" (counted as XMP, 64 KiB), and the letter between
// the scan's coded data and its EOI (walked as scan data; the decoder
// ignores extraneous bytes); a GIF application extension (not counted).
func r110aLetterPictures(t *testing.T) map[string][]byte {
	letter := []byte(r106aLetter)
	p, j, g := r109aLogoBytes(t), r109aJPEG(t), r109aGIF(t)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(letter)
	zw.Close()
	var ga []byte
	ga = append(ga, 0x21, 0xff, 11)
	ga = append(ga, "CAREXNOTE1."...)
	for rest := letter; len(rest) > 0; {
		n := min(len(rest), 255)
		ga = append(append(ga, byte(n)), rest[:n]...)
		rest = rest[n:]
	}
	ga = append(ga, 0)
	return map[string][]byte{
		"png-time":  r110aPNGBefore(p, "tIME", letter),
		"png-splt":  r110aPNGBefore(p, "sPLT", append(append([]byte{}, letter...), 0, 8)),
		"png-iccp":  r110aPNGChunk33(p, "iCCP", append([]byte("ICC profile\x00\x00"), z.Bytes()...)),
		"jpeg-app0": r110aJPEGSegment(j, 0xe0, append([]byte("JFXX\x00"), letter...)),
		"jpeg-app2": r110aJPEGSegment(j, 0xe2, append([]byte("NOTE\x00"), letter...)),
		"jpeg-xmpc": r110aJPEGSegment(j, 0xfe, append([]byte("XML:com.adobe.xmp "), bytes.Repeat(append(letter, ' '), 8)...)),
		"jpeg-scan": append(append(append([]byte{}, j[:len(j)-2]...), letter...), 0xff, 0xd9),
		"gif-app":   append(append(append([]byte{}, g[:len(g)-1]...), ga...), ';'),
		// (found fixing the above: Go's decoder skips what follows the
		// image data's zlib stream in its IDAT chunk)
		"png-idat": r110aAfterIDAT(p, letter),
	}
}

// r110aPNGChunk33 is r109aPNGChunk (after IHDR).
func r110aPNGChunk33(p []byte, typ string, data []byte) []byte { return r109aPNGChunk(p, typ, data) }

// TestReview110aNarrativePictureCarriesLetter: the GP's problem
// whose narrative shows a real logo holding the letter where the
// 2026-12-07v walk does not bound it reaches the social worker, letter
// and all. README: "at most 128 bytes of comments and text beside up to
// 64 KiB of EXIF, XMP and application data"; the letter (~330 bytes) is
// in none of those, or (jpeg-xmpc) is a comment. The same letter in a
// tEXt chunk or a COM segment is withheld (review 109a's probes).
func TestReview110aNarrativePictureCarriesLetter(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	mt := map[string]string{"png": "image/png", "jpe": "image/jpeg", "gif": "image/gif"}
	var writes [][2]string
	data := map[string]string{}
	for k, b := range r110aLetterPictures(t) {
		data[k] = base64.StdEncoding.EncodeToString(b)
		writes = append(writes, r107aCond("r110a-n-"+k, r107aDiv+`<img src=\"data:`+mt[k[:3]]+`;base64,`+data[k]+`\" alt=\"logo\"/><p>Type 2 diabetes</p></div>`))
	}
	ctl := r109aLetterPictures(t)["png-text"]
	writes = append(writes, r107aCond("r110a-n-ctl", r107aDiv+`<img src=\"data:image/png;base64,`+base64.StdEncoding.EncodeToString(ctl)+`\" alt=\"logo\"/><p>Type 2 diabetes</p></div>`))
	writes = append(writes, r107aCond("r110a-n-plain", r107aDiv+`<img src=\"data:image/jpeg;base64,`+base64.StdEncoding.EncodeToString(r109aJPEG(t))+`\" alt=\"logo\"/><p>Type 2 diabetes</p></div>`))
	e.putAll(t, e.token("system", "nhs", "A81001"), writes...)
	sw := e.token("social-worker", "council", r98bCouncil)
	if r := e.do("GET", "/fhir/Condition/r110a-n-plain", sw, ""); r.status != 200 {
		t.Fatalf("premise: the problem with a plain JPEG logo is withheld from the social worker: %d", r.status)
	}
	if r := e.do("GET", "/fhir/Condition/r110a-n-ctl", sw, ""); r.status != 404 {
		t.Fatalf("premise: the letter in a PNG tEXt chunk (review 109a) reaches the social worker: %d", r.status)
	}
	for k, d := range data {
		if r := e.do("GET", "/fhir/Condition/r110a-n-"+k, sw, ""); r.status == 200 && strings.Contains(r.body, d) {
			t.Errorf("LEAK: %s: the GP's letter inside a narrative's real logo reached the social worker (200)", k)
		}
	}
}

// TestReview110aSignatureImageCarriesLetter: the same pictures as
// a Provenance's handwritten-signature image reach the IG officer.
func TestReview110aSignatureImageCarriesLetter(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	mt := map[string]string{"png": "image/png", "jpe": "image/jpeg", "gif": "image/gif"}
	var writes [][2]string
	data := map[string]string{}
	for k, b := range r110aLetterPictures(t) {
		data[k] = base64.StdEncoding.EncodeToString(b)
		writes = append(writes, r102aProv("r110a-s-"+k, r102aSig(mt[k[:3]], data[k])))
	}
	e.putAll(t, e.token("system", "nhs", "A81001"), writes...)
	ig := e.token("ig-officer", "nhs", "A81001")
	for k, d := range data {
		if r := e.do("GET", "/fhir/Provenance/r110a-s-"+k, ig, ""); r.status == 200 && strings.Contains(r.body, d) {
			t.Errorf("LEAK: %s: the GP's letter inside a signature's real image reached the IG officer (200)", k)
		}
	}
}

// TestReview110aJWSHeaderLetterAsWords: a real detached RS256 JWS
// whose protected header carries the letter as a list of words
// ("note":["Dear","Colleague",…]: each a "word" of at most 256 bytes),
// as words joined by underscores, or as member names (names are bounded
// to 32 bytes but may hold spaces). joseHeader reads each string alone,
// so the letter reaches the IG officer; review 109a's "note" member
// holding it as a sentence is withheld.
func TestReview110aJWSHeaderLetterAsWords(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	_, _, key := r109aCerts(t)
	words := strings.Fields(r106aLetter)
	names := map[string]any{"alg": "RS256", "kid": "gp-a81001-2025"}
	for i := 0; i < len(words); i += 4 {
		k := strings.Join(words[i:min(i+4, len(words))], " ")
		if len(k) > 32 {
			k = k[:32]
		}
		names[k] = i
	}
	jws := map[string]string{
		"list": r109aJWS(t, key, map[string]any{"alg": "RS256", "kid": "gp-a81001-2025", "note": words}),
		// (revision 2026-12-07y: a header's words may be 1 KiB together,
		// for JAdES headers and long key ids and urls; a note shorter
		// than that can ride, a README limit, so the letter here is
		// longer: four times the GP's letter, in strings under 256 bytes)
		"under": r109aJWS(t, key, map[string]any{"alg": "RS256", "kid": "gp-a81001-2025", "note": r110aUnder(words)}),
		"names": r109aJWS(t, key, names),
	}
	var writes [][2]string
	for k, s := range jws {
		writes = append(writes, r102aProv("r110a-jws-"+k, r102aSig("application/jose", s)))
	}
	writes = append(writes, r102aProv("r110a-jws-kid", r102aSig("application/jose", r109aJWS(t, key, map[string]any{"alg": "RS256", "kid": "gp-a81001-2025"}))))
	e.putAll(t, e.token("system", "nhs", "A81001"), writes...)
	ig := e.token("ig-officer", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Provenance/r110a-jws-kid", ig, ""); r.status != 200 {
		t.Fatalf("premise: a detached JWS with a kid is withheld from the IG officer: %d", r.status)
	}
	for k, s := range jws {
		if r := e.do("GET", "/fhir/Provenance/r110a-jws-"+k, ig, ""); r.status == 200 && strings.Contains(r.body, s) {
			t.Errorf("LEAK: %s: the GP's letter in a JWS signature's header reached the IG officer (200)", k)
		}
	}
}

// r110aMPF is a phone's HDR photo as Android's Ultra HDR (JPEG/R) and
// iPhone's HDR photos write it: the primary JPEG with an APP2 "MPF"
// segment (CIPA DC-007 Multi-Picture Format index) and its gain map, a
// second JPEG, after its EOI.
func r110aMPF(t *testing.T) []byte {
	primary, gain := r109aJPEG(t), r109aJPEG(t)
	// MP index IFD, little-endian: version, number of images, MP entries.
	var ifd []byte
	le := binary.LittleEndian
	ifd = append(ifd, "MPF\x00II*\x00"...)
	ifd = le.AppendUint32(ifd, 8)
	ifd = le.AppendUint16(ifd, 3)
	entry := func(tag, typ uint16, count, val uint32) {
		ifd = le.AppendUint16(ifd, tag)
		ifd = le.AppendUint16(ifd, typ)
		ifd = le.AppendUint32(ifd, count)
		ifd = le.AppendUint32(ifd, val)
	}
	entry(0xb000, 7, 4, le.Uint32([]byte("0100")))
	entry(0xb001, 4, 1, 2)
	entry(0xb002, 7, 32, 8+2+3*12+4)
	ifd = le.AppendUint32(ifd, 0)
	segLen := 4 + len(ifd) + 32
	total := len(primary) + segLen
	ifd = le.AppendUint32(ifd, 0x20030000) // primary image, baseline
	ifd = le.AppendUint32(ifd, uint32(total))
	ifd = le.AppendUint32(ifd, 0)
	ifd = le.AppendUint32(ifd, 0)
	ifd = le.AppendUint32(ifd, 0) // the gain map
	ifd = le.AppendUint32(ifd, uint32(len(gain)))
	ifd = le.AppendUint32(ifd, uint32(total-(2+4+4))) // from the MP header
	ifd = le.AppendUint32(ifd, 0)
	out := r110aJPEGSegment(primary, 0xe2, ifd)
	return append(out, gain...)
}

// r110aIMDates is a PNG as ImageMagick 7 writes it: its date:create,
// date:modify and date:timestamp tEXt chunks (114 bytes, under the 128).
func r110aIMDates(t *testing.T) []byte {
	p := r109aLogoBytes(t)
	for _, kv := range []string{"date:create\x002024-03-12T10:42:17+00:00", "date:modify\x002024-03-12T10:42:17+00:00", "date:timestamp\x002024-03-12T10:42:17+00:00"} {
		p = r110aPNGBefore(p, "tEXt", []byte(kv))
	}
	return p
}

// r110aTrimmedPNG is a scanned signature cropped with ImageMagick
// ("magick scan.png -trim sig.png", without +repage): the PNG keeps its
// page offset in oFFs (a registered PNG extension chunk) and ImageMagick's
// vpAg, beside its date tEXt chunks.
func r110aTrimmedPNG(t *testing.T) []byte {
	p := r110aIMDates(t)
	p = r109aPNGChunk(p, "vpAg", []byte{0, 0, 9, 0xb0, 0, 0, 13, 0x6c, 0})
	return r109aPNGChunk(p, "oFFs", []byte{0, 0, 0, 120, 0, 0, 0, 88, 0})
}

// r110aIMExifPNG is a phone's photo of a signature converted to PNG by
// ImageMagick ("magick sig.jpg sig.png"): it keeps the photo's EXIF as a
// zTXt "Raw profile type exif" chunk (hex, compressed), as ImageMagick
// writes it; here a small EXIF (make, model, date, orientation).
func r110aIMExifPNG(t *testing.T) []byte {
	le := binary.LittleEndian
	var x []byte
	x = append(x, "Exif\x00\x00II*\x00"...)
	x = le.AppendUint32(x, 8)
	strs := []string{"Apple\x00", "iPhone 14\x00", "2024:03:12 10:42:17\x00", "17.3.1\x00"}
	tags := []uint16{0x010f, 0x0110, 0x0132, 0x0131}
	x = le.AppendUint16(x, uint16(len(tags)+1))
	off := 8 + 2 + (len(tags)+1)*12 + 4
	for i, tg := range tags {
		x = le.AppendUint16(x, tg)
		x = le.AppendUint16(x, 2)
		x = le.AppendUint32(x, uint32(len(strs[i])))
		x = le.AppendUint32(x, uint32(off))
		off += len(strs[i])
	}
	x = append(x, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0) // orientation 1
	x = le.AppendUint32(x, 0)
	for _, s := range strs {
		x = append(x, s...)
	}
	var h strings.Builder
	h.WriteString("\nexif\n")
	h.WriteString(strings.Repeat(" ", 8))
	h.WriteString(strconv.Itoa(len(x)))
	for i, c := range x {
		if i%36 == 0 {
			h.WriteString("\n")
		}
		h.WriteString(hex.EncodeToString([]byte{c}))
	}
	h.WriteString("\n")
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(h.String()))
	zw.Close()
	t.Logf("Raw profile type exif: %d bytes of EXIF, zTXt body %d bytes", len(x), 23+z.Len())
	return r110aPNGBefore(r110aIMDates(t), "zTXt", append([]byte("Raw profile type exif\x00\x00"), z.Bytes()...))
}

// TestReview110aRealSignaturePictures: a handwritten
// signature captured as a phone's HDR JPEG (MPF with its gain map after
// the primary image's EOI, as Pixel and iPhone cameras write) or a
// scanned signature trimmed by ImageMagick (oFFs, vpAg) is a real picture
// and nothing else; jpegSegmentsOnly stops at the first EOI and
// pngChunksOnly refuses any chunk outside its list, so the signed
// Provenance is withheld from the IG officer (judgement: README calls a
// signature whose data is a picture a signature). The plain JPEG and PNG
// reach her.
func TestReview110aRealSignaturePictures(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	std := base64.StdEncoding
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r102aProv("r110a-sig-jpeg", r102aSig("image/jpeg", std.EncodeToString(r109aJPEG(t)))),
		r102aProv("r110a-sig-png", r102aSig("image/png", std.EncodeToString(r109aLogoBytes(t)))),
		r102aProv("r110a-sig-mpf", r102aSig("image/jpeg", std.EncodeToString(r110aMPF(t)))),
		r102aProv("r110a-sig-dates", r102aSig("image/png", std.EncodeToString(r110aIMDates(t)))),
		r102aProv("r110a-sig-trim", r102aSig("image/png", std.EncodeToString(r110aTrimmedPNG(t)))),
		r102aProv("r110a-sig-exif", r102aSig("image/png", std.EncodeToString(r110aIMExifPNG(t)))))
	ig := e.token("ig-officer", "nhs", "A81001")
	for _, id := range []string{"r110a-sig-jpeg", "r110a-sig-png", "r110a-sig-dates"} {
		if r := e.do("GET", "/fhir/Provenance/"+id, ig, ""); r.status != 200 {
			t.Fatalf("premise: %s is withheld from the IG officer: %d", id, r.status)
		}
	}
	// (An HDR photo's gain map after its first image's end marker stays
	// a document, failing closed: carex does not decode a second image
	// — a choice of revision 2026-12-07x.)
	if r := e.do("GET", "/fhir/Provenance/r110a-sig-mpf", ig, ""); r.status != 404 {
		t.Errorf("r110a-sig-mpf: a JPEG with a second image after its end marker was taken for a picture: %d", r.status)
	}
	for _, id := range []string{"r110a-sig-trim", "r110a-sig-exif"} {
		if r := e.do("GET", "/fhir/Provenance/"+id, ig, ""); r.status != 200 {
			t.Errorf("WRONG: %s: the GP's Provenance with a real handwritten-signature image is withheld from the IG officer: %d", id, r.status)
		}
	}
}

// r110aGIFFrames is a GIF of w x h with n full-size frames of one colour:
// LZW makes each a few KB on the wire.
func r110aGIFFrames(t *testing.T, w, h, n int) []byte {
	frame := image.NewPaletted(image.Rect(0, 0, w, h), palette.Plan9[:2])
	g := &gif.GIF{Config: image.Config{Width: w, Height: h, ColorModel: frame.Palette}}
	for i := 0; i < n; i++ {
		g.Image = append(g.Image, frame)
		g.Delay = append(g.Delay, 0)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestReview110aCostNarrativeGIFFrames: a problem whose narrative
// shows a GIF of 6000x6000 (36 megapixels, under the 40 the README
// allows) with 12 blank frames: well under 1 MB on the wire. wholePicture
// calls gif.DecodeAll, which allocates every frame and keeps them all
// (12 x 36 MB); pixels bounds one frame, not their number. Against prose
// of the same size: expected within 10x the time and the allocation.
func TestReview110aCostNarrativeGIFFrames(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 24 << 20 })
	r98bSeed(t, e)
	sys := e.token("system", "nhs", "A81001")
	g := r110aGIFFrames(t, 6000, 6000, 12)
	b64 := base64.StdEncoding.EncodeToString(g)
	t.Logf("GIF %d bytes, base64 %d", len(g), len(b64))
	prose := strings.Repeat(`Paracetamol, ibuprofen, amoxicillin and metformin. `, len(b64)/51)
	put := func(id, div string) (time.Duration, uint64) {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		start := time.Now()
		w := r107aCond(id, r107aDiv+div+`<p>Type 2 diabetes</p></div>`)
		if r := e.do("PUT", w[0], sys, w[1]); r.status != 200 && r.status != 201 {
			t.Fatalf("%s: %d %.200s", id, r.status, r.body)
		}
		d := time.Since(start)
		runtime.ReadMemStats(&m1)
		return d, m1.TotalAlloc - m0.TotalAlloc
	}
	put("r110a-warm", "<p>warm</p>")
	tp, ap := put("r110a-prose", "<p>"+prose+"</p>")
	tg, ag := put("r110a-gif", `<img src=\"data:image/gif;base64,`+b64+`\"/>`)
	t.Logf("prose %v (%d MB allocated), GIF %v (%d MB allocated)", tp, ap>>20, tg, ag>>20)
	if ag > 10*ap+64<<20 || tg > 10*tp+2*time.Second {
		t.Errorf("COST: a problem whose narrative shows a %d KB GIF took %v and allocated %d MB; prose of the same size %v, %d MB", len(g)>>10, tg, ag>>20, tp, ap>>20)
	}
}

// TestReview110aSoundJWSLongX5U: revision 2026-12-07w's case, a real JWS
// whose header has a 200-character x5u and a 100-character kid, reaches
// the IG officer.
func TestReview110aSoundJWSLongX5U(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	_, _, key := r109aCerts(t)
	u := "https://keys.signing.riverside-surgery.nhs.uk/jwks/" + strings.Repeat("a81001-", 30)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r102aProv("r110a-x5u", r102aSig("application/jose", r109aJWS(t, key, map[string]any{"alg": "RS256", "kid": strings.Repeat("k", 100), "x5u": u[:200]}))))
	ig := e.token("ig-officer", "nhs", "A81001")
	if r := e.do("GET", "/fhir/Provenance/r110a-x5u", ig, ""); r.status != 200 {
		t.Errorf("a JWS with a 200-character x5u is withheld from the IG officer: %d", r.status)
	}
}

// TestReview110aTaskUKCareAbbreviationsWithSlashOrDots: the
// nursing team's Task records the care package as UK care plans write
// it: "hrs p/w", "£ p/w", "hours p.w.", "£ per calendar month", and a
// medication prompt "tablets bd". measuredUnit splits "p/w" and "p.w."
// into "p" and "w", and "w" (like "calendar", "bd") is no care word, so
// each is a measurement and the Task is withheld from the social worker
// (revision 2026-12-07v added "pw" and "pcm" only). "hrs pw" reaches her.
func TestReview110aTaskUKCareAbbreviationsWithSlashOrDots(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	in := func(id, unit string) [2]string {
		return r103aNHSTask(id, `"input":[{"type":{"text":"home care package"},"valueQuantity":{"value":14,"unit":"`+unit+`"}}]`)
	}
	cases := map[string]string{"r110a-t-pslw": "hrs p/w", "r110a-t-gbpslw": "£ p/w", "r110a-t-pdotw": "hours p.w.", "r110a-t-cal": "£ per calendar month", "r110a-t-bd": "tablets bd"}
	writes := [][2]string{in("r110a-t-pw", "hrs pw")}
	for id, u := range cases {
		writes = append(writes, in(id, u))
	}
	e.putAll(t, e.token("system", "nhs", "A81001"), writes...)
	sw := e.token("social-worker", "council", r98bCouncil)
	if r := e.do("GET", "/fhir/Task/r110a-t-pw", sw, ""); r.status != 200 {
		t.Fatalf("premise: the Task in \"hrs pw\" is withheld from the social worker: %d", r.status)
	}
	for id, u := range cases {
		if r := e.do("GET", "/fhir/Task/"+id, sw, ""); r.status != 200 {
			t.Errorf("WRONG: %s: the nursing team's Task recording a care package in %q is withheld from the social worker: %d", id, u, r.status)
		}
	}
}

// TestReview110aBase64LetterAboveFourWordLines: review 109a's
// case (the letter's base64 in lines of 74 and 76 columns, a 3-character
// last line) signed off on four lines of one word each, as a letter ends:
// "Regards", "Amanda", "Montgomery", "MBChB". Each is base64's characters
// alone, so they join the block; eachBase64Block drops at most three short
// lines at an end, and its "without short ends" candidate stops at
// Montgomery (wider than the line after it), so no candidate is the
// letter and it reaches the social worker. README: words on lines of their
// own beside it, "Regards", a name, do not hide it. With "Regards" alone
// (review 109a) it is withheld.
func TestReview110aBase64LetterAboveFourWordLines(t *testing.T) {
	e := newEnv(t)
	r98bSeed(t, e)
	b64 := r108aB64Letter()
	body := r108aLines(b64[:len(b64)-3], 74, 76)
	block := strings.Join(append(body, b64[len(b64)-3:]), `\n`)
	e.putAll(t, e.token("system", "nhs", "A81001"),
		r108aPlan("r110a-w-one", block+`\nRegards`),
		r108aPlan("r110a-w-four", block+`\nRegards\nAmanda\nMontgomery\nMBChB`))
	sw := e.token("social-worker", "council", r98bCouncil)
	if r := e.do("GET", "/fhir/CarePlan/r110a-w-one", sw, ""); r.status == 200 {
		t.Fatalf("premise: the base64 letter above Regards reached the social worker")
	}
	if r := e.do("GET", "/fhir/CarePlan/r110a-w-four", sw, ""); r.status == 200 && strings.Contains(r.body, body[0][:40]) {
		t.Errorf("LEAK: the GP's base64 letter signed off on four one-word lines reached the social worker (200)")
	}
}

// TestReview110aSoundCostBase64BlockShortEnds: a care plan whose
// description is 6 MB of base64 (random bytes: no document, so every
// candidate is decoded) between three short lines at each end, the most
// candidates revision 2026-12-07v's head/tail loop makes, against prose of
// the same size: within 20x (plus 2 s).
func TestReview110aSoundCostBase64BlockShortEnds(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 24 << 20 })
	r98bSeed(t, e)
	sys := e.token("system", "nhs", "A81001")
	raw := make([]byte, 4<<20)
	for i := range raw {
		raw[i] = byte(i*7919 + i>>8*31 + i>>16*131)
	}
	lines := r108aLines(base64.StdEncoding.EncodeToString(raw), 76)
	desc := `A\nBc\nDef\n` + strings.Join(lines, `\n`) + `\nGh\nI\nJkl`
	prose := strings.Repeat(`Paracetamol, ibuprofen, amoxicillin and metformin. `, len(desc)/51)
	put := func(id, d string) (time.Duration, uint64) {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		start := time.Now()
		w := r108aPlan(id, d)
		if r := e.do("PUT", w[0], sys, w[1]); r.status != 200 && r.status != 201 {
			t.Fatalf("%s: %d %.200s", id, r.status, r.body)
		}
		dt := time.Since(start)
		runtime.ReadMemStats(&m1)
		return dt, m1.TotalAlloc - m0.TotalAlloc
	}
	put("r110a-c-warm", "warm")
	tp, ap := put("r110a-c-prose", prose)
	tb, ab := put("r110a-c-b64", desc)
	t.Logf("prose %v (%d MB allocated), base64 block %v (%d MB allocated)", tp, ap>>20, tb, ab>>20)
	if tb > 20*tp+2*time.Second {
		t.Errorf("COST: a care plan with a 6 MB base64 block between short lines took %v (%d MB), prose %v (%d MB)", tb, ab>>20, tp, ap>>20)
	}
}

// r110aAfterIDAT appends data to the body of a PNG's last IDAT chunk,
// after its zlib stream.
func r110aAfterIDAT(p, data []byte) []byte {
	last := -1
	for i := 8; i+12 <= len(p); {
		n := int(binary.BigEndian.Uint32(p[i:]))
		if string(p[i+4:i+8]) == "IDAT" {
			last = i
		}
		i += 12 + n
	}
	n := int(binary.BigEndian.Uint32(p[last:]))
	c := make([]byte, 8, 12+n+len(data))
	binary.BigEndian.PutUint32(c, uint32(n+len(data)))
	copy(c[4:], "IDAT")
	c = append(append(c, p[last+8:last+8+n]...), data...)
	c = binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
	out := append(append([]byte{}, p[:last]...), c...)
	return append(out, p[last+12+n:]...)
}

// r110aUnder is four copies of a letter's words joined by underscores, in
// strings of under 256 bytes each.
func r110aUnder(words []string) []string {
	var out []string
	cur := ""
	for i := 0; i < 4; i++ {
		for _, w := range words {
			if len(cur)+1+len(w) > 250 {
				out = append(out, cur)
				cur = ""
			}
			if cur != "" {
				cur += "_"
			}
			cur += w
		}
	}
	return append(out, cur)
}

package api

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

// Pictures whose tables are runs of printable bytes are pictures: a grey
// ramp's palette (0x20 to 0x7e three times over), and a low-quality
// JPEG's quantisation tables (values 32 to 126), which wordsRun must not
// take for words (revision 2026-12-07y).
func TestWholePictureTablesOfPrintableBytes(t *testing.T) {
	ramp := make(color.Palette, 256)
	for i := range ramp {
		ramp[i] = color.Gray{Y: uint8(i)}
	}
	img := image.NewPaletted(image.Rect(0, 0, 64, 64), ramp)
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	var p, g bytes.Buffer
	if err := png.Encode(&p, img); err != nil {
		t.Fatal(err)
	}
	if err := gif.Encode(&g, img, &gif.Options{NumColors: 256}); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"png": p.Bytes(), "gif": g.Bytes()} {
		if !wholePicture(b) {
			t.Errorf("a %s with a grey ramp's palette is not a picture", name)
		}
	}
	grey := image.NewGray(image.Rect(0, 0, 96, 96))
	for i := range grey.Pix {
		grey.Pix[i] = uint8(i * 7)
	}
	for q := 1; q <= 100; q++ {
		var j bytes.Buffer
		if err := jpeg.Encode(&j, grey, &jpeg.Options{Quality: q}); err != nil {
			t.Fatal(err)
		}
		if !wholePicture(j.Bytes()) {
			t.Errorf("a JPEG of quality %d is not a picture", q)
		}
	}
}

// A letter in a palette, a histogram or a quantisation table, or in
// UTF-16 in a JPEG's coded data, is words (review 111a).
func TestWordsRunAndUTF16Run(t *testing.T) {
	letter := "Dear Dr Patel, thank you for seeing Mrs Smith in clinic today. Her viral load is undetectable."
	if !wordsRun([]byte(letter)) {
		t.Error("a letter is not words")
	}
	var u16le, u16be []byte
	for _, c := range []byte(letter) {
		u16le = append(u16le, c, 0)
		u16be = append(u16be, 0, c)
	}
	for name, b := range map[string][]byte{"le": u16le, "be": u16be, "le odd": append([]byte{7}, u16le...), "be odd": append([]byte{7}, u16be...)} {
		if !utf16Run(b) {
			t.Errorf("UTF-16 %s: not found", name)
		}
	}
	if utf16Run([]byte(letter)) || wordsRun([]byte("ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnop")) {
		t.Error("text that is not UTF-16, or one word, taken for it")
	}
}

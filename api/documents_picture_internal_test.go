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
// ramp's palette (0x20 to 0x7e three times over), a brand's plum-to-berry
// ramp whose green is 0x20 throughout (review 112a: read as words, it
// withheld a logo), and a low-quality JPEG's quantisation tables (values
// 32 to 126).
func TestWholePictureTablesOfPrintableBytes(t *testing.T) {
	ramp := make(color.Palette, 256)
	for i := range ramp {
		ramp[i] = color.Gray{Y: uint8(i)}
	}
	img := image.NewPaletted(image.Rect(0, 0, 64, 64), ramp)
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	brand := make(color.Palette, 64)
	for i := range brand {
		brand[i] = color.RGBA{R: uint8(0x40 + i*(0x7a-0x40)/63), G: 0x20, B: uint8(0x60 - i*(0x60-0x40)/63), A: 0xff}
	}
	logo := image.NewPaletted(image.Rect(0, 0, 64, 8), brand)
	for i := range logo.Pix {
		logo.Pix[i] = uint8(i % 64)
	}
	var lp bytes.Buffer
	if err := png.Encode(&lp, logo); err != nil {
		t.Fatal(err)
	}
	if !wholePicture(lp.Bytes()) {
		t.Error("a logo with a brand's colour ramp is not a picture")
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

// A letter in UTF-16 in a JPEG's coded data is text (review 111a).
func TestUTF16Run(t *testing.T) {
	letter := "Dear Dr Patel, thank you for seeing Mrs Smith in clinic today. Her viral load is undetectable."
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
	if utf16Run([]byte(letter)) {
		t.Error("text that is not UTF-16 taken for it")
	}
}

// One item's pictures decode 48 megapixels together; past that a picture
// is not taken as one (review 112a: 600 blank 24-megapixel PNGs in one
// narrative took 38 s).
func TestPictureBudget(t *testing.T) {
	blank := image.NewGray(image.Rect(0, 0, 4000, 4000)) // 16 MP
	var b bytes.Buffer
	if err := png.Encode(&b, blank); err != nil {
		t.Fatal(err)
	}
	budget := newPictureBudget()
	for i := 0; i < 3; i++ {
		if !budget.wholePicture(b.Bytes()) {
			t.Fatalf("picture %d of 16 MP within 48 MP refused", i+1)
		}
	}
	if budget.wholePicture(b.Bytes()) {
		t.Error("a fourth 16-megapixel picture taken past the item's 48")
	}
	if !newPictureBudget().wholePicture(b.Bytes()) {
		t.Error("another item's budget was spent")
	}
}

// A photo pays for its own decoding (16 pixels a byte): with the item's
// budget spent, a 400×300 JPEG of a photo's detail (a tenth of a byte a
// pixel) is still a picture, and a blank frame of the same size is not
// (review 113a: the fifth 12-megapixel wound photo in a narrative made
// the problem a document).
func TestPictureBudgetPhotoPaysItsWay(t *testing.T) {
	img := image.NewYCbCr(image.Rect(0, 0, 400, 300), image.YCbCrSubsampleRatio420)
	x := uint32(7)
	for i := range img.Y {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		img.Y[i] = uint8(i%400/32+i/400/32) + uint8(x&15)
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	var photo, blank bytes.Buffer
	if err := jpeg.Encode(&photo, img, &jpeg.Options{Quality: 75}); err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(&blank, image.NewGray(image.Rect(0, 0, 400, 300))); err != nil {
		t.Fatal(err)
	}
	if per := float64(photo.Len()) / 120000; per < 1.0/16 {
		t.Fatalf("premise: the photo is %.3f bytes a pixel, under 1/16", per)
	}
	if !(&pictureBudget{}).wholePicture(photo.Bytes()) {
		t.Error("a photo refused by an item's spent budget")
	}
	if (&pictureBudget{}).wholePicture(blank.Bytes()) {
		t.Error("a blank frame taken past an item's spent budget")
	}
}

package api

import (
	"encoding/base64"
	"testing"
)

// FuzzAttachedContent: reading an attachment's payloads, its text and the
// XML copies in it never panics and ends, whatever the bytes and media
// type.
func FuzzAttachedContent(f *testing.F) {
	for _, s := range []string{"<<<<a", "<x><id value='a'/>", "{\"resourceType\":\"Condition\"", "&amp;#49;", "\xff\xfe<\x00", "base64\r\n\r\nPD94bWw="} {
		f.Add([]byte(s), "application/xml")
		f.Add([]byte(s), "")
	}
	f.Fuzz(func(t *testing.T, b []byte, ct string) {
		m := map[string]any{"resourceType": "DocumentReference", "content": []any{map[string]any{"attachment": map[string]any{
			"contentType": ct, "data": base64.StdEncoding.EncodeToString(b)}}}}
		_, texts := attachedContent(m, true)
		for _, t := range texts {
			scanText(t)
		}
		xmlCarriedItems(append(append([]byte{}, b...), `<Condition><id value="zz9"/></Condition>`...), func(string, string) {})
	})
}

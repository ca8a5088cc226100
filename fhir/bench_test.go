package fhir

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func benchFile(b *testing.B, rel string) []byte {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "fhir", filepath.FromSlash(rel)))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func BenchmarkParse(b *testing.B) {
	for _, rel := range []string{
		"hl7-r4/patient/Patient-example.json",
		"nhs-pds/Patient.json",
		"hl7-r4/clinical/Observation-blood-pressure-cancel.json",
		"hl7-r4/bundle/Bundle-father.json",
	} {
		data := benchFile(b, rel)
		b.Run(filepath.Base(rel), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSetMeta(b *testing.B) {
	data := benchFile(b, "nhs-pds/Patient.json")
	now := time.Now()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SetMeta(data, "abc", "2", now); err != nil {
			b.Fatal(err)
		}
	}
}

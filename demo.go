// Package carex holds what the carex binary embeds: the demo population.
// The code lives in cmd/, fhir/, consent/, store/ and api/.
package carex

import "embed"

// DemoFS is the synthetic demo population loaded by "carex demo"; its
// manifest.json says which organisation's system wrote each file and which
// users the demo prints tokens for.
//
//go:embed testdata/demo
var DemoFS embed.FS

//go:build !race

package api_test

// raceSlowdown: see race_on_ext_test.go.
const raceSlowdown = 1

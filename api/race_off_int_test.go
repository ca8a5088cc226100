//go:build !race

package api

// raceSlowdown: see race_on_ext_test.go.
const raceSlowdown = 1

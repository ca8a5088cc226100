//go:build race

package api_test

// raceSlowdown scales the generous CPU bounds of the cost probes: the race
// detector makes the same work several times slower (the README's test
// command runs with -race).
const raceSlowdown = 10

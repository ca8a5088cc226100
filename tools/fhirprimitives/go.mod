module github.com/carex-project/carex/tools/fhirprimitives

go 1.26.8

require (
	github.com/google/fhir/go v0.7.4
	google.golang.org/protobuf v1.36.12
)

require github.com/golang/protobuf v1.5.4 // indirect

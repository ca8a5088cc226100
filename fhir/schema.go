package fhir

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"sync"

	m "github.com/samply/golang-fhir-models/fhir-models/fhir"
)

type kind uint8

const (
	kString kind = iota + 1
	kBool
	kInt
	kNumber
	kEnum     // named int type with UnmarshalJSON (a required code binding)
	kStruct   // a FHIR complex type / backbone element
	kResource // json.RawMessage: an embedded resource
)

// isPrimitive reports whether a field of this kind may carry a _name sibling.
func (k kind) isPrimitive() bool { return k <= kEnum }

type fieldInfo struct {
	name     string
	kind     kind
	slice    bool
	required bool
	prim     prim         // the R4 primitive type when its format is checked (kString, kInt)
	elem     reflect.Type // element type (pointer and slice stripped)
}

type choiceGroup struct {
	prefix  string
	members []*fieldInfo
}

type structInfo struct {
	name     string
	fields   map[string]*fieldInfo
	required []*fieldInfo   // required non-choice fields
	choices  []*choiceGroup // required choice groups: exactly one member
	resource bool           // a resource (may have resourceType)
	domain   bool           // a DomainResource (may have contained)
	ident    bool           // the Identifier data type
}

var (
	structCache sync.Map // reflect.Type -> *structInfo
	enumCache   sync.Map // enumKey -> struct{} for known-valid codes

	rawMessageType = reflect.TypeFor[json.RawMessage]()
	numberType     = reflect.TypeFor[json.Number]()
	unmarshalerTyp = reflect.TypeFor[json.Unmarshaler]()
	identifierType = reflect.TypeFor[m.Identifier]()

	resourceTypeNames []string
	resourceTypeSet   = map[reflect.Type]bool{}
)

func init() {
	for n, t := range resourceModels {
		resourceTypeNames = append(resourceTypeNames, n)
		resourceTypeSet[t] = true
	}
	sort.Strings(resourceTypeNames)
}

// IsResourceType reports whether name is an R4 resource type.
func IsResourceType(name string) bool {
	_, ok := resourceModels[name]
	return ok
}

// ResourceTypes returns every R4 resource type name, sorted.
func ResourceTypes() []string {
	return append([]string(nil), resourceTypeNames...)
}

// fhirTypeSuffixes are the data type names that appear as the suffix of a
// choice element (value[x] -> valueString, valueCodeableConcept, ...).
var fhirTypeSuffixes = map[string]bool{}

func init() {
	for _, s := range strings.Fields(`Base64Binary Boolean Canonical Code Date DateTime Decimal Id Instant
		Integer Markdown Oid PositiveInt String Time UnsignedInt Uri Url Uuid Address Age Annotation
		Attachment CodeableConcept Coding ContactPoint Count Distance Duration HumanName Identifier Money
		Period Quantity Range Ratio Reference SampledData Signature Timing ContactDetail Contributor
		DataRequirement Expression ParameterDefinition RelatedArtifact TriggerDefinition UsageContext
		Dosage Meta`) {
		fhirTypeSuffixes[s] = true
	}
}

// choicePrefix splits "medicationCodeableConcept" into "medication" when the
// suffix is a FHIR data type name.
func choicePrefix(name string) (string, bool) {
	for i := 1; i < len(name); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' && fhirTypeSuffixes[name[i:]] {
			return name[:i], true
		}
	}
	return "", false
}

func getStruct(t reflect.Type) *structInfo {
	if v, ok := structCache.Load(t); ok {
		return v.(*structInfo)
	}
	si := buildStruct(t)
	v, _ := structCache.LoadOrStore(t, si)
	return v.(*structInfo)
}

func buildStruct(t reflect.Type) *structInfo {
	si := &structInfo{
		name:     t.Name(),
		fields:   make(map[string]*fieldInfo, t.NumField()),
		resource: resourceTypeSet[t],
		ident:    t == identifierType,
	}
	var prims map[string]prim
	if spec := primitiveFields[si.name]; spec != "" {
		prims = parsePrimitiveFields(spec)
	}
	var req []*fieldInfo
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "" || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		fi := &fieldInfo{name: name, required: !strings.Contains(opts, "omitempty")}
		ft := f.Type
		if ft == rawMessageType {
			fi.kind = kResource
			fi.elem = ft
		} else {
			if ft.Kind() == reflect.Slice {
				fi.slice = true
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			fi.elem = ft
			switch {
			case ft == numberType:
				fi.kind = kNumber
			case ft.Kind() == reflect.String:
				fi.kind = kString
			case ft.Kind() == reflect.Bool:
				fi.kind = kBool
			case ft.Kind() == reflect.Int && reflect.PointerTo(ft).Implements(unmarshalerTyp):
				fi.kind = kEnum
			case ft.Kind() == reflect.Int:
				fi.kind = kInt
			case ft.Kind() == reflect.Float64 || ft.Kind() == reflect.Float32:
				fi.kind = kNumber
			case ft.Kind() == reflect.Struct:
				fi.kind = kStruct
			default:
				panic("fhir: unsupported model field type " + f.Type.String())
			}
		}
		if p := prims[name]; p != pNone && (fi.kind == kString || fi.kind == kInt) {
			// A resource's id is checked by walker.resource with its own message.
			if !(si.resource && name == "id") {
				fi.prim = p
			}
		}
		si.fields[name] = fi
		if fi.required {
			req = append(req, fi)
		}
	}
	_, si.domain = si.fields["modifierExtension"]
	si.domain = si.domain && si.resource
	// The samply generator marks every member of a required choice element
	// (e.g. MedicationRequest.medication[x]) as required; exactly one of them
	// must be present.
	groups := map[string]*choiceGroup{}
	for _, fi := range req {
		if p, ok := choicePrefix(fi.name); ok {
			g := groups[p]
			if g == nil {
				g = &choiceGroup{prefix: p}
				groups[p] = g
			}
			g.members = append(g.members, fi)
		}
	}
	for _, fi := range req {
		if p, ok := choicePrefix(fi.name); ok && len(groups[p].members) > 1 {
			continue
		}
		si.required = append(si.required, fi)
	}
	for _, g := range groups {
		if len(g.members) > 1 {
			si.choices = append(si.choices, g)
		}
	}
	sort.Slice(si.choices, func(i, j int) bool { return si.choices[i].prefix < si.choices[j].prefix })
	return si
}

type enumKey struct {
	t    reflect.Type
	code string
}

// validEnum reports whether code is a valid code of the samply enum type t.
func validEnum(t reflect.Type, code string) bool {
	k := enumKey{t, code}
	if _, ok := enumCache.Load(k); ok {
		return true
	}
	// The samply unmarshalers strip quotes with strings.Trim, so refuse
	// anything containing a quote or escape rather than be fooled.
	if strings.ContainsAny(code, "\"\\") {
		return false
	}
	u := reflect.New(t).Interface().(json.Unmarshaler)
	if u.UnmarshalJSON([]byte(`"`+code+`"`)) != nil {
		return false
	}
	enumCache.Store(k, struct{}{})
	return true
}

// HasElement reports whether path, dotted element names each optionally
// filtered as in "telecom[system=phone]", names an element of
// resourceType in R4; a name may be a choice element's prefix
// ("effective" for effective[x]). Search parameters' paths are checked
// with it: a misspelt one indexes nothing, silently.
func HasElement(resourceType, path string) bool {
	t, ok := resourceModels[resourceType]
	if !ok {
		return false
	}
	for _, name := range strings.Split(path, ".") {
		name, _, _ = strings.Cut(name, "[")
		if t.Kind() != reflect.Struct {
			return false
		}
		si := getStruct(t)
		fi := si.fields[name]
		if fi == nil {
			for _, f := range si.fields {
				if p, ok := choicePrefix(f.name); ok && p == name {
					fi = f
					break
				}
			}
		}
		if fi == nil {
			return false
		}
		t = fi.elem
	}
	return true
}

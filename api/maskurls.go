package api

import (
	neturl "net/url"
	"strings"
)

// Two more ways a string names an item stored here (review 18b): a urn
// with a path (urn:x/Condition/hiv, urn:carex:Binary/hivbin), which was
// taken, as any "urn:", for a bundle-local id naming nothing stored; and an
// app's url routing by its fragment (https://app.example/#/Condition/hiv,
// …/view#DocumentReference/hivdoc, #!/…), whose fragment was dropped before
// reading what it names. Each names what its path does: decided as a
// reference written so.

// urnPath is the path a urn carries after its last ':' before the first
// slash (x/Condition/hiv, Binary/hivbin); "" for any other string and for
// a urn without a slash (urn:uuid:…, urn:oid:…).
func urnPath(s string) string {
	s = strings.TrimSpace(s)
	if len(s) < 4 || !strings.EqualFold(s[:4], "urn:") {
		return ""
	}
	slash := strings.IndexAny(s, "/\\")
	if slash < 0 {
		return ""
	}
	return s[strings.LastIndexByte(s[:slash], ':')+1:]
}

// fragmentPath is the path a url's fragment carries (an app's route:
// Condition/hiv from https://app.example/#/Condition/hiv or #!/…), ""
// when it has no fragment holding a slash, a query or a parameter. A
// reference to a contained resource (#id) has none. The fragment is read
// percent-decoded (#Condition%2Fhiv, as a router decodes it), a hashbang
// needs no slash (#!Condition/hiv), a search in it is one (#/Condition?_id=hiv)
// and a route given as a parameter (#route=Condition/hiv) is read as a
// query's (review 18e: those went out as stored).
func fragmentPath(s string) string {
	i := strings.IndexByte(s, '#')
	if i <= 0 {
		return ""
	}
	f := strings.TrimSpace(s[i+1:])
	if strings.IndexByte(f, '%') >= 0 {
		if d, err := neturl.PathUnescape(f); err == nil {
			f = d
		}
	}
	f = strings.TrimLeft(f, "!/\\")
	if !strings.ContainsAny(f, "/\\?=") {
		return ""
	}
	if eq := strings.IndexByte(f, '='); eq >= 0 && !strings.ContainsAny(f[:eq], "/\\?") {
		f = "?" + f // route=Condition/hiv: a parameter, as in a query
	}
	return f
}

// embeddedTarget is what urnPath or fragmentPath finds in s where it names
// an item stored here (urlType), else "".
func embeddedTarget(s string) string {
	for _, p := range [...]string{urnPath(s), fragmentPath(s)} {
		if p != "" && urlType(p) != "" {
			return p
		}
	}
	return ""
}

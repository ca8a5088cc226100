package synth

// The clinical content the generator draws from. Codes are SNOMED CT
// (conditions, allergies, procedures), dm+d (medicines; where we are not
// sure of a dm+d code the medicine is given as text, as the demo does for
// HIV treatment), LOINC/SNOMED CT (observations, with UCUM units) and the
// carex local code systems the demo uses for social care.

const (
	sysSNOMED      = "http://snomed.info/sct"
	sysDMD         = "https://dmd.nhs.uk"
	sysLOINC       = "http://loinc.org"
	sysUCUM        = "http://unitsofmeasure.org"
	sysActCode     = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	sysConf        = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
	sysODS         = "https://fhir.nhs.uk/Id/ods-organization-code"
	sysCouncilCode = "https://carex.example/Id/council-code"
	sysDataClass   = "https://carex.example/data-class"
	sysSocialCare  = "https://carex.example/CodeSystem/social-care"
	sysNursing     = "https://carex.example/CodeSystem/community-nursing"
	sysSector      = "https://carex.example/sector"
)

// Age bands: children, young adults, middle age, 65–79, 80 and over.
const (
	bandChild = iota
	bandYoung
	bandMiddle
	bandOld
	bandVeryOld
	nBands
)

// bandShare is the share of the population in each band (England-like).
var bandShare = [nBands]float64{0.20, 0.28, 0.32, 0.13, 0.07}

// bandAges is each band's age range, inclusive.
var bandAges = [nBands][2]int{{0, 17}, {18, 39}, {40, 64}, {65, 79}, {80, 99}}

type med struct {
	code, display string // code "" → text only
	dose          string
	qty           int
	chronic       bool // gets a repeat MedicationRequest too
}

type condition struct {
	code, display string
	label         string          // sensitivity label the default policy derives ("" none)
	prev          [nBands]float64 // chance of having it, by age band
	meds          []med
}

var (
	medMetformin    = med{"325278007", "Metformin 500mg tablets", "One tablet twice a day with meals", 112, true}
	medAmlodipine   = med{"319283006", "Amlodipine 5mg tablets", "One tablet once a day", 28, true}
	medAtorvastatin = med{"320000009", "Atorvastatin 20mg tablets", "One tablet at night", 28, true}
	medSertraline   = med{"321949006", "Sertraline 50mg tablets", "One tablet once a day", 28, true}
	medSalbutamol   = med{"320176004", "Salbutamol 100micrograms/dose inhaler CFC free", "Two puffs when required", 1, true}
	medParacetamol  = med{"322236009", "Paracetamol 500mg tablets", "Two tablets up to four times a day when required", 100, false}
	medDoxycycline  = med{"41948311000001104", "Doxycycline 100mg capsules", "One capsule twice a day for 7 days", 14, false}
	medAmoxicillin  = med{"39732411000001106", "Amoxicillin 500mg capsules", "One capsule three times a day for 5 days", 15, false}
	medClarithro    = med{"41946511000001109", "Clarithromycin 500mg tablets", "One tablet twice a day for 5 days", 10, false}
)

func textMed(display, dose string, qty int) med { return med{"", display, dose, qty, true} }

// conditions is the GP problem list catalogue. Prevalences are rough
// England figures, per age band.
var conditions = []condition{
	{"195967001", "Asthma", "", [nBands]float64{0.08, 0.08, 0.07, 0.06, 0.05}, []med{medSalbutamol, textMed("Beclometasone 100micrograms/dose inhaler", "Two puffs twice a day", 1)}},
	{"38341003", "Hypertensive disorder, systemic arterial", "", [nBands]float64{0, 0.03, 0.20, 0.45, 0.55}, []med{medAmlodipine, textMed("Ramipril 5mg capsules", "One capsule once a day", 28)}},
	{"44054006", "Diabetes mellitus type 2", "", [nBands]float64{0, 0.01, 0.07, 0.16, 0.18}, []med{medMetformin}},
	{"13645005", "Chronic obstructive lung disease", "", [nBands]float64{0, 0, 0.03, 0.08, 0.10}, []med{textMed("Tiotropium 2.5micrograms/dose inhalation solution cartridge", "Two puffs once a day", 1), medSalbutamol}},
	{"35489007", "Depressive disorder", "PSY", [nBands]float64{0.01, 0.08, 0.08, 0.06, 0.05}, []med{medSertraline}},
	{"21897009", "Generalized anxiety disorder", "", [nBands]float64{0.01, 0.06, 0.05, 0.03, 0.02}, []med{textMed("Propranolol 10mg tablets", "One tablet up to three times a day when required", 84)}},
	{"396275006", "Osteoarthritis", "", [nBands]float64{0, 0.01, 0.10, 0.25, 0.35}, []med{medParacetamol}},
	{"49436004", "Atrial fibrillation", "", [nBands]float64{0, 0, 0.01, 0.06, 0.12}, []med{textMed("Apixaban 5mg tablets", "One tablet twice a day", 56)}},
	{"84114007", "Heart failure", "", [nBands]float64{0, 0, 0.005, 0.03, 0.08}, []med{textMed("Bisoprolol 2.5mg tablets", "One tablet once a day", 28)}},
	{"709044004", "Chronic kidney disease", "", [nBands]float64{0, 0.002, 0.03, 0.12, 0.25}, nil},
	{"40930008", "Hypothyroidism", "", [nBands]float64{0.001, 0.01, 0.03, 0.05, 0.06}, []med{textMed("Levothyroxine sodium 50microgram tablets", "One tablet each morning", 28)}},
	{"52448006", "Dementia", "", [nBands]float64{0, 0, 0.002, 0.03, 0.15}, []med{textMed("Donepezil 5mg tablets", "One tablet at night", 28)}},
	{"55822004", "Hyperlipidemia", "", [nBands]float64{0, 0.01, 0.10, 0.25, 0.25}, []med{medAtorvastatin}},
	{"235595009", "Gastroesophageal reflux disease", "", [nBands]float64{0.005, 0.04, 0.06, 0.08, 0.08}, []med{textMed("Omeprazole 20mg gastro-resistant capsules", "One capsule once a day", 28)}},
	{"64859006", "Osteoporosis", "", [nBands]float64{0, 0, 0.02, 0.08, 0.15}, []med{textMed("Alendronic acid 70mg tablets", "One tablet once a week", 4)}},
	{"84757009", "Epilepsy", "", [nBands]float64{0.005, 0.006, 0.006, 0.006, 0.005}, []med{textMed("Lamotrigine 100mg tablets", "One tablet twice a day", 56)}},
	{"58214004", "Schizophrenia", "PSY", [nBands]float64{0, 0.005, 0.005, 0.003, 0.002}, []med{textMed("Olanzapine 10mg tablets", "One tablet at night", 28)}},
	{"13746004", "Bipolar disorder", "PSY", [nBands]float64{0, 0.006, 0.006, 0.004, 0.002}, []med{textMed("Lithium carbonate 400mg modified-release tablets", "One tablet at night", 28)}},
	{"7200002", "Alcoholism", "ETH", [nBands]float64{0, 0.01, 0.012, 0.006, 0.002}, []med{textMed("Thiamine 100mg tablets", "One tablet three times a day", 84)}},
	{"414916001", "Obesity", "", [nBands]float64{0.03, 0.10, 0.15, 0.12, 0.06}, nil},
	{"37796009", "Migraine", "", [nBands]float64{0.02, 0.06, 0.05, 0.02, 0.01}, []med{textMed("Sumatriptan 50mg tablets", "One tablet at the start of a migraine; may repeat once after 2 hours", 6)}},
}

// Sensitive conditions the generator adds on top of the problem list.
var (
	condHIV = condition{code: "86406008", display: "Human immunodeficiency virus infection", label: "HIV"}
	// Sexual health: diagnosed and treated at the hospital's sexual health clinic.
	condSTD = []condition{
		{code: "105629000", display: "Chlamydial infection", label: "STD", meds: []med{medDoxycycline}},
		{code: "15628003", display: "Gonorrhea", label: "STD", meds: []med{textMed("Ceftriaxone 1g powder for solution for injection vials", "1g as a single intramuscular dose", 1)}},
		{code: "33839006", display: "Genital herpes simplex", label: "STD", meds: []med{textMed("Aciclovir 400mg tablets", "One tablet three times a day for 5 days", 15)}},
	}
	medHIV = textMed("Biktarvy 50mg/200mg/25mg tablets (prescribed by the HIV clinic)", "One tablet once a day", 30)
	// Termination of pregnancy (a procedure at the hospital).
	procTOP = [2]string{"386639001", "Termination of pregnancy"}
)

type allergy struct {
	code, display, category, criticality string
	substance                            [2]string
	reaction                             [2]string
}

var allergies = []allergy{
	{"91936005", "Allergy to penicillin", "medication", "high", [2]string{"890458001", "Penicillin-containing product"}, [2]string{"247472004", "Urticarial rash"}},
	{"91936005", "Allergy to penicillin", "medication", "high", [2]string{"890458001", "Penicillin-containing product"}, [2]string{"39579001", "Anaphylaxis"}},
	{"91935009", "Allergy to peanut", "food", "high", [2]string{"762952008", "Peanut"}, [2]string{"39579001", "Anaphylaxis"}},
	{"300916003", "Latex allergy", "environment", "low", [2]string{"111088007", "Latex"}, [2]string{"40275004", "Contact dermatitis"}},
}

var nkda = allergy{code: "409137002", display: "No known drug allergy", category: "medication", criticality: "low"}

// Hospital episodes: an admission diagnosis, maybe a procedure.
type admission struct {
	code, display string
	service       [2]string
	proc          [2]string
	days          int
	minBand       int
	med           med
}

var admissions = []admission{
	{"5913000", "Fracture of neck of femur", [2]string{"310161006", "Orthopaedic service"}, [2]string{"52734007", "Total replacement of hip"}, 10, bandOld, medParacetamol},
	{"233604007", "Pneumonia", [2]string{"419192003", "Internal medicine"}, [2]string{}, 6, bandMiddle, medClarithro},
	{"128045006", "Cellulitis", [2]string{"419192003", "Internal medicine"}, [2]string{}, 4, bandYoung, medAmoxicillin},
	{"68566005", "Urinary tract infectious disease", [2]string{"419192003", "Internal medicine"}, [2]string{}, 3, bandOld, medAmoxicillin},
	{"22298006", "Myocardial infarction", [2]string{"394579002", "Cardiology"}, [2]string{"415070008", "Percutaneous coronary intervention"}, 5, bandMiddle, medAtorvastatin},
	{"230690007", "Cerebrovascular accident", [2]string{"419192003", "Internal medicine"}, [2]string{}, 14, bandMiddle, medAtorvastatin},
	{"74400008", "Appendicitis", [2]string{"394609007", "General surgery"}, [2]string{"80146002", "Appendectomy"}, 3, bandChild, medParacetamol},
}

// District nursing care plans.
type nursingPlan struct {
	title, description string
	wound              bool
	activities         []string
}

var nursingPlans = []nursingPlan{
	{"Wound care: surgical wound", "Dressing changes and wound review after surgery; monitor for infection.", true, []string{"Change dressing every 3 days", "Weekly wound assessment and measurement"}},
	{"Leg ulcer care: lower leg", "Compression bandaging and dressing of a venous leg ulcer; skin care.", true, []string{"Four-layer compression bandaging twice a week", "Measure ulcer every 2 weeks"}},
	{"Pressure area care", "Prevention and care of pressure damage for a person who is mostly in bed.", true, []string{"Check skin integrity at each visit", "Repositioning plan with carers"}},
	{"Catheter care", "Long-term urinary catheter: changes and review.", false, []string{"Change catheter every 12 weeks", "Check for signs of infection"}},
	{"Diabetes: insulin administration", "Daily insulin injections and blood glucose monitoring for a person who cannot self-administer.", false, []string{"Give insulin each morning", "Record blood glucose"}},
	{"Palliative care at home", "Symptom control and support at the end of life, with the GP and family.", false, []string{"Review anticipatory medicines", "Support family and carers"}},
}

// Council care packages (EpisodeOfCare.type text) and services.
var carePackages = []string{
	"Home care: 2 visits a day (personal care, medication prompts)",
	"Home care: 4 visits a day (personal care, meals, medication prompts)",
	"Reablement then home care: 3 visits a day",
	"Day centre place twice a week and a weekly home care visit",
	"Direct payment for a personal assistant, 10 hours a week",
	"Residential care home placement (respite, 2 weeks)",
	"Telecare: pendant alarm and falls sensor",
}

var (
	givenFemale = []string{"Olivia", "Amelia", "Isla", "Ava", "Mia", "Grace", "Sophia", "Emily", "Jane", "Margaret", "Susan", "Patricia", "Elizabeth", "Mary", "Joan", "Doreen", "Aisha", "Priya", "Fatima", "Chloe", "Ellie", "Hannah", "Ruth", "Sian", "Zainab", "Niamh", "Rebecca", "Helen", "Karen", "Janet"}
	givenMale   = []string{"Oliver", "George", "Noah", "Arthur", "Leo", "Harry", "Jack", "Thomas", "David", "John", "Robert", "Michael", "Peter", "William", "James", "Kwame", "Mohammed", "Ravi", "Daniel", "Samuel", "Joseph", "Rhys", "Owen", "Tariq", "Connor", "Liam", "Stephen", "Paul", "Brian", "Keith"}
	families    = []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke", "Patel", "Khan", "Hughes", "Hargreaves", "Bell", "Doyle", "Mensah", "Okafor", "Ahmed", "Ali", "Begum", "Shah", "Kaur", "Singh", "Murphy", "Kelly", "Lewis", "Harris", "Martin", "Cooper"}
	streets     = []string{"Mill Lane", "Church Road", "Station Road", "High Street", "Riverside Walk", "Oak Avenue", "Park Road", "Victoria Street", "Green Lane", "Manor Way", "School Lane", "Hillside View", "Low Street", "Market Place", "Bridge Street"}
	letters     = "ABDEFGHJLNPQRSTUWXYZ"
)

package shipping

import (
	"errors"
	"fmt"

	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
)

// Carrier is the one carrier Bazaar ships with.
const Carrier = "Bazaar Post"

// BaseCurrency is the currency of the rate table; quotes are always in it
// and callers convert (bazaar.shipping.v1.Quote.cost says so).
const BaseCurrency = "USD"

// errNotServed marks a destination country shipping does not serve.
var errNotServed = errors.New("shipping does not serve this country")

// zone is a group of destination countries sharing one rate.
type zone struct {
	// Name is "domestic", "europe" or "world".
	Name string
	// FirstKgCents is the price of a parcel up to 1 kg, in US cents.
	FirstKgCents int64
	// ExtraKgCents is added for each further started kilogram.
	ExtraKgCents int64
	// EstimatedDays is the business days from dispatch to delivery.
	EstimatedDays int32
}

// The rate table, in US dollars. A parcel costs the zone's first-kilogram
// price, plus the extra-kilogram price for every started kilogram above
// the first:
//
//	zone      countries                     up to 1 kg   each further kg   days
//	domestic  US                            $5.00        $1.00              3
//	europe    europeanCountries             $15.00       $4.00              7
//	world     every other served country    $25.00       $8.00             12
//
// A 2.5 kg parcel to Germany costs 15.00 + 2 × 4.00 = $23.00; a parcel
// of no weight costs the first-kilogram price.

// domesticZone is the rate of parcels within the US.
func domesticZone() zone {
	return zone{Name: "domestic", FirstKgCents: 500, ExtraKgCents: 100, EstimatedDays: 3}
}

// europeZone is the rate of parcels to europeanCountries.
func europeZone() zone {
	return zone{Name: "europe", FirstKgCents: 1500, ExtraKgCents: 400, EstimatedDays: 7}
}

// worldZone is the rate of parcels to every other served country.
func worldZone() zone {
	return zone{Name: "world", FirstKgCents: 2500, ExtraKgCents: 800, EstimatedDays: 12}
}

// homeCountry is the domestic zone's one country.
const homeCountry = "US"

// europeanCountries are the ISO 3166-1 alpha-2 codes of the europe zone:
// the EU and EEA, the United Kingdom, Switzerland and the rest of
// geographic Europe, with the Crown Dependencies, Åland and the Faroes.
const europeanCountries = "AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT JE " +
	"LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS SE SI SJ SK SM UA VA"

// unservedCountries are countries no carrier route reaches: uninhabited
// territories (Antarctica, Bouvet Island, Heard and McDonald Islands).
// Codes ISO 3166 leaves to private use (AA, QM–QZ, XA–XZ, ZZ) name no
// country and are not served either.
const unservedCountries = "AQ BV HM"

// zoneOf returns the rate zone of country, an upper-case alpha-2 code.
func zoneOf(country string) (zone, error) {
	if containsCode(unservedCountries, country) || privateUseCode(country) {
		return zone{}, fmt.Errorf("%w: %s", errNotServed, country)
	}
	switch {
	case country == homeCountry:
		return domesticZone(), nil
	case containsCode(europeanCountries, country):
		return europeZone(), nil
	default:
		return worldZone(), nil
	}
}

// containsCode reports whether the space-separated list holds code.
func containsCode(list, code string) bool {
	for i := 0; i+2 <= len(list); i += 3 {
		if list[i:i+2] == code {
			return true
		}
	}
	return false
}

// privateUseCode reports whether code is one of ISO 3166-1's user-assigned
// codes, which never name a country.
func privateUseCode(code string) bool {
	switch {
	case code == "AA", code == "ZZ":
		return true
	case code[0] == 'Q' && code[1] >= 'M':
		return true
	case code[0] == 'X':
		return true
	}
	return false
}

// quote is the price of one parcel.
type quote struct {
	// Cents is the cost in US cents.
	Cents         int64
	EstimatedDays int32
	WeightGrams   int64
}

// quoteFor prices a parcel of weightGrams (>= 0) to country.
func quoteFor(country string, weightGrams int64) (quote, error) {
	z, err := zoneOf(country)
	if err != nil {
		return quote{}, err
	}
	startedKg := (weightGrams + 999) / 1000
	cents := z.FirstKgCents + max(startedKg-1, 0)*z.ExtraKgCents
	return quote{Cents: cents, EstimatedDays: z.EstimatedDays, WeightGrams: weightGrams}, nil
}

// usdCents is an amount of US cents as Money.
func usdCents(cents int64) *typesv1.Money {
	return &typesv1.Money{CurrencyCode: BaseCurrency, Units: cents / 100, Nanos: int32(cents%100) * 10_000_000}
}

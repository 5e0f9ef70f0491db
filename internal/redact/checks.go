package redact

// luhn reports whether the decimal digits pass the Luhn (mod 10) check used
// by payment card numbers.
func luhn(digits []byte) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return len(digits) > 0 && sum%10 == 0
}

// cnIDWeights are the ISO 7064 MOD 11-2 weights 2^(17-i) mod 11 of the first
// 17 characters of a Chinese resident identity number (GB 11643-1999).
var cnIDWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// cnIDCheck is the check character for each remainder of the weighted sum.
const cnIDCheck = "10X98765432"

// validCNID reports whether id (17 digits and a digit or X/x) is a Chinese
// resident identity number: a plausible region and birth date and the
// ISO 7064 MOD 11-2 check character. It does not compare the birth date
// with today's date.
func validCNID(id []byte) bool {
	if len(id) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
		sum += int(id[i]-'0') * cnIDWeights[i]
	}
	last := id[17]
	if last == 'x' {
		last = 'X'
	}
	if last != cnIDCheck[sum%11] {
		return false
	}
	// Region: provinces are 11..82.
	if id[0] < '1' || id[0] > '8' {
		return false
	}
	num := func(b []byte) int {
		n := 0
		for _, c := range b {
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(id[6:10]), num(id[10:12]), num(id[12:14])
	if year < 1800 || year > 2199 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return false
	}
	return true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// ibanLengths is the length of the IBAN of each country in the SWIFT IBAN
// registry. An IBAN of a country not listed is not recognised.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
	"BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
	"EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
	"GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
	"JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
	"MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
	"NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
	"SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
	"TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

// validIBAN reports whether iban (upper-case letters and digits, no
// separators) has its country's length and passes the ISO 13616 mod-97
// check.
func validIBAN(iban []byte) bool {
	if len(iban) < 15 || ibanLengths[string(iban[:2])] != len(iban) {
		return false
	}
	if iban[2] < '0' || iban[2] > '9' || iban[3] < '0' || iban[3] > '9' {
		return false
	}
	rem := 0
	add := func(c byte) bool {
		switch {
		case c >= '0' && c <= '9':
			rem = (rem*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			v := int(c-'A') + 10
			rem = (rem*100 + v) % 97
		default:
			return false
		}
		return true
	}
	for _, c := range iban[4:] {
		if !add(c) {
			return false
		}
	}
	for _, c := range iban[:4] {
		if !add(c) {
			return false
		}
	}
	return rem == 1
}

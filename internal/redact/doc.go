// Package redact masks personal data in free text: e-mail addresses, phone
// numbers (international E.164 and Chinese mobile formats), payment card
// numbers (Luhn-checked), Chinese resident identity numbers (ISO 7064 MOD
// 11-2 check character), IBANs (country length and mod-97 checksum) and
// owner-configured regular expressions.
//
// A Redactor replaces each match with a typed mask ("[email]", "[phone]",
// "[card ****1234]", "[id]", "[iban]", "[redacted]"), so that a reader still
// sees what kind of data was there. Numbers are checked before they are
// masked: an order number such as AB123456 or a 16-digit number that fails
// the Luhn check is left alone, so agents and logs keep what they need.
//
// Redact runs in time linear in its input (Go's regexp is RE2, and the
// number scanner looks at no more than 19 digits from any start), never
// panics, always returns valid UTF-8 and is idempotent for the built-in
// kinds: masks are never matched again.
//
// Handler wraps a log/slog.Handler so that nothing sensitive reaches the
// log at any level.
//
// The package depends on nothing but the standard library.
package redact

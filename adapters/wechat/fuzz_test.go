package wechat

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/url"
	"testing"
)

// FuzzParseMessageXML: the XML parser never panics, every error is a bad
// request, and what it accepts normalizes to a message with an ID in the
// sender's conversation, or to an acknowledged event.
func FuzzParseMessageXML(f *testing.F) {
	f.Add([]byte(msgC))
	for name := range eventFiles {
		f.Add(readEvent(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseMessageXML(data)
		if err != nil {
			if !errors.Is(err, errBadRequest) {
				t.Fatalf("error %v does not wrap errBadRequest", err)
			}
			return
		}
		msg, ok := normalize(m, "hi", func(string) bool { return true })
		if !ok {
			return
		}
		if msg.ID == "" || len(msg.DedupeKeys) != 1 || msg.Key.Chat != string(m.FromUserName) || msg.Key.Platform != Platform {
			t.Fatalf("normalize(%q) = %+v", data, msg)
		}
	})
}

// FuzzDecrypt: decryption never panics on any Encrypt value or ciphertext,
// and encrypt/decrypt round-trips any message.
func FuzzDecrypt(f *testing.F) {
	f.Add(encC, []byte("<xml/>"))
	c, err := newMsgCrypto("spamtest", keyA, "wx2c2769f8efd9abc2")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, encrypt string, raw []byte) {
		_, _, _ = c.decrypt(encrypt)
		_, _, _ = c.decrypt(base64.StdEncoding.EncodeToString(raw)) // reaches the AES path more often
		enc, err := c.encrypt(nil, raw)
		if err != nil {
			t.Fatal(err)
		}
		_, got, err := c.decrypt(enc)
		if err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("round trip of %q: %q, %v", raw, got, err)
		}
	})
}

// FuzzParsePush: a correctly signed push with any body, plaintext or
// encrypted, is parsed or refused with 400/401, never a panic.
func FuzzParsePush(f *testing.F) {
	f.Add([]byte(msgC), false)
	f.Add([]byte(msgC), true)
	plain, err := newMsgCrypto("spamtest", "", "wx2c2769f8efd9abc2")
	if err != nil {
		f.Fatal(err)
	}
	safe, err := newMsgCrypto("spamtest", keyA, "wx2c2769f8efd9abc2")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, encrypted bool) {
		c := plain
		q := url.Values{"timestamp": {"1409735669"}, "nonce": {"1320562132"}, "signature": {plain.sign("1409735669", "1320562132")}}
		if encrypted {
			c = safe
			enc, err := safe.encrypt(nil, body)
			if err != nil {
				t.Fatal(err)
			}
			q.Set("encrypt_type", "aes")
			q.Set("msg_signature", safe.sign("1409735669", "1320562132", enc))
			body = []byte("<xml><ToUserName>gh</ToUserName><Encrypt>" + enc + "</Encrypt></xml>")
		}
		_, err := parsePush(c, q, body)
		if err != nil && !errors.Is(err, errBadRequest) && !errors.Is(err, errUnauthorized) {
			t.Fatalf("error %v is neither 400 nor 401", err)
		}
	})
}

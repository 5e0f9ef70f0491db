package wechat

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// The published vectors of protocols.md §4.2.
const (
	keyA  = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	keyW  = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	encC  = "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
	msgC  = "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n<CreateTime>1409735668</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[abcdteT]]></Content>\n<MsgId>6054768590064713728</MsgId>\n</xml>"
	encW1 = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
	encW2 = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
)

func TestEncryptVectorA(t *testing.T) {
	c, err := newMsgCrypto("anytoken", keyA, "wxb11529c136998cb6")
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.encrypt([]byte("aaaabbbbccccdddd"), []byte("我是中文abcd123"))
	if err != nil {
		t.Fatal(err)
	}
	const want = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
	if got != want {
		t.Errorf("encrypt = %s\nwant      %s", got, want)
	}
	random, msg, err := c.decrypt(got)
	if err != nil || string(random) != "aaaabbbbccccdddd" || string(msg) != "我是中文abcd123" {
		t.Errorf("decrypt(encrypt) = %q, %q, %v", random, msg, err)
	}
}

// TestDecryptVectors checks msg_signature and decryption of the official
// samples: OA compatible mode (C) and WeCom (W1 message, W2 URL check echostr),
// all through the same msgCrypto.
func TestDecryptVectors(t *testing.T) {
	tests := []struct {
		name, token, key, receiveID, ts, nonce, msgSig, encrypt string
		wantRandom                                              string // "" = not published
		check                                                   func(t *testing.T, msg []byte)
	}{
		{
			name: "C OA compat", token: "spamtest", key: keyA, receiveID: "wx2c2769f8efd9abc2",
			ts: "1409735669", nonce: "1320562132", msgSig: "5d197aaffba7e9b25a30732f161a50dee96bd5fa", encrypt: encC,
			wantRandom: "89465c840c5f116f",
			check: func(t *testing.T, msg []byte) {
				if string(msg) != msgC {
					t.Errorf("msg = %q\nwant  %q", msg, msgC)
				}
			},
		},
		{
			name: "W1 WeCom message", token: "QDG6eK", key: keyW, receiveID: "wx5823bf96d3bd56c7",
			ts: "1409659813", nonce: "1372623149", msgSig: "477715d11cdb4164915debcba66cb864d751f3e6", encrypt: encW1,
			check: func(t *testing.T, msg []byte) {
				if len(msg) != 284 {
					t.Errorf("len(msg) = %d, want 284", len(msg))
				}
				for _, s := range []string{"<Content><![CDATA[hello]]></Content>", "<MsgId>4561255354251345929</MsgId>", "<AgentID>218</AgentID>"} {
					if !strings.Contains(string(msg), s) {
						t.Errorf("msg lacks %s: %q", s, msg)
					}
				}
				// 16 random + 4 length + 284 + 18 corpid = 322 bytes: the
				// last block carries 30 bytes of padding, which only a
				// 32-byte PKCS#7 block explains.
				if pad := 32 - (16+4+len(msg)+len("wx5823bf96d3bd56c7"))%32; pad != 30 {
					t.Errorf("padding = %d, want 30", pad)
				}
			},
		},
		{
			name: "W2 WeCom URL check", token: "QDG6eK", key: keyW, receiveID: "wx5823bf96d3bd56c7",
			ts: "1409659589", nonce: "263014780", msgSig: "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", encrypt: encW2,
			check: func(t *testing.T, msg []byte) {
				if string(msg) != "1616140317555161061" {
					t.Errorf("echostr = %q, want 1616140317555161061", msg)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := newMsgCrypto(tt.token, tt.key, tt.receiveID)
			if err != nil {
				t.Fatal(err)
			}
			if !c.verify(tt.msgSig, tt.ts, tt.nonce, tt.encrypt) {
				t.Errorf("msg_signature %s rejected", tt.msgSig)
			}
			if c.verify(tt.msgSig, tt.ts, tt.nonce+"1", tt.encrypt) {
				t.Error("msg_signature accepted for another nonce")
			}
			random, msg, err := c.decrypt(tt.encrypt)
			if err != nil {
				t.Fatalf("decrypt: %v", err)
			}
			if tt.wantRandom != "" && string(random) != tt.wantRandom {
				t.Errorf("random = %q, want %q", random, tt.wantRandom)
			}
			tt.check(t, msg)

			other, _ := newMsgCrypto(tt.token, tt.key, "wx0000000000000000")
			if _, _, err := other.decrypt(tt.encrypt); !errors.Is(err, errWrongReceiver) {
				t.Errorf("decrypt with another receiveid: err = %v, want errWrongReceiver", err)
			}
		})
	}
}

func TestPlainSignatureVectors(t *testing.T) {
	tests := []struct{ token, ts, nonce, want string }{
		{"pamtest", "1409304348", "xxxxxx", "76480565cbe296026c53aaacd1ad523a1ddba24f"},
		{"a", "b", "c", "a9993e364706816aba3e25717850c26c9cd0d89d"}, // = sha1("abc"), silenceper's test
		{"c", "a", "b", "a9993e364706816aba3e25717850c26c9cd0d89d"}, // sorted before hashing
	}
	for _, tt := range tests {
		c := msgCrypto{token: tt.token}
		if got := c.sign(tt.ts, tt.nonce); got != tt.want {
			t.Errorf("sign(%s, %s, %s) = %s, want %s", tt.token, tt.ts, tt.nonce, got, tt.want)
		}
		if !c.verify(tt.want, tt.ts, tt.nonce) {
			t.Errorf("verify(%s) = false", tt.want)
		}
		if c.verify(strings.ToUpper(tt.want), tt.ts, tt.nonce) || c.verify("", tt.ts, tt.nonce) {
			t.Errorf("verify accepted a wrong signature")
		}
	}
}

// rawEncrypt encrypts plaintext (already padded by the caller, or not) with
// AES-256-CBC as WeChat does, so tests can build malformed ciphertexts.
func rawEncrypt(t *testing.T, encodingAESKey string, plaintext []byte) string {
	t.Helper()
	key, err := decodeAESKey(encodingAESKey)
	if err != nil {
		t.Fatal(err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(plaintext))
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, plaintext)
	return base64.StdEncoding.EncodeToString(out)
}

// framed returns random + len + msg + receiveID, padded up to a multiple of
// 32 with bytes of value padByte, or of the correct value when padByte < 0.
func framed(msg, receiveID string, padByte int) []byte {
	var b bytes.Buffer
	b.WriteString("0123456789abcdef")
	_ = binary.Write(&b, binary.BigEndian, uint32(len(msg)))
	b.WriteString(msg)
	b.WriteString(receiveID)
	n := 32 - b.Len()%32
	if padByte < 0 {
		padByte = n
	}
	b.Write(bytes.Repeat([]byte{byte(padByte)}, n))
	return b.Bytes()
}

func TestDecryptRejectsMalformed(t *testing.T) {
	c, err := newMsgCrypto("token123", keyA, "wxapp")
	if err != nil {
		t.Fatal(err)
	}
	good, err := c.encrypt(nil, []byte("<xml/>"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(good)
	lying := framed("<xml/>", "wxapp", -1)
	binary.BigEndian.PutUint32(lying[16:20], 1<<31) // length far beyond the plaintext
	tests := []struct {
		name    string
		encrypt string
	}{
		{"not base64", "%%%"},
		{"empty", ""},
		{"truncated to one AES block", base64.StdEncoding.EncodeToString(raw[:16])},
		{"truncated mid block", base64.StdEncoding.EncodeToString(raw[:len(raw)-5])},
		{"padding byte 0", rawEncrypt(t, keyA, framed("<xml/>", "wxapp", 0))},
		{"padding byte 33", rawEncrypt(t, keyA, framed("<xml/>", "wxapp", 33))},
		{"padding byte 255", rawEncrypt(t, keyA, framed("<xml/>", "wxapp", 255))},
		{"length field too large", rawEncrypt(t, keyA, lying)},
		{"no receiveid room", rawEncrypt(t, keyA, framed("<xml/>"+"wxapp", "", -1)[:32])},
	}
	if _, msg, err := c.decrypt(rawEncrypt(t, keyA, framed("<xml/>", "wxapp", -1))); err != nil || string(msg) != "<xml/>" {
		t.Fatalf("control: decrypt = %q, %v", msg, err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.decrypt(tt.encrypt)
			if err == nil {
				t.Fatal("decrypt succeeded")
			}
			if errors.Is(err, errWrongReceiver) {
				t.Errorf("err = %v, want a malformed-ciphertext error", err)
			}
		})
	}
}

func TestDecodeAESKey(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{keyA, true},
		{keyW, true},
		{"", false},
		{keyA[:42], false},
		{keyA + "H", false},
		{"!bcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", false},
	}
	for _, tt := range tests {
		_, err := decodeAESKey(tt.key)
		if (err == nil) != tt.ok {
			t.Errorf("decodeAESKey(%q) err = %v, want ok=%v", tt.key, err, tt.ok)
		}
		if err != nil && tt.key != "" && strings.Contains(err.Error(), tt.key) {
			t.Errorf("error contains the key: %v", err)
		}
	}
}

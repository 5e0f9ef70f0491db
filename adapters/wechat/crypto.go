package wechat

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/silenceper/wechat/v2/util"
)

// msgCrypto is WeChat's message security for one account: the URL
// signature, msg_signature, and AES-256-CBC with the EncodingAESKey. The
// primitives are the silenceper SDK's (util.Signature, util.AESDecryptMsg,
// util.AESEncryptMsg); this type adds constant-time comparison, the
// receiveid check with a distinct error, and errors that never contain a
// secret. The same code decrypts WeCom callbacks (receiveid = CorpID).
type msgCrypto struct {
	token     string
	key       []byte // nil when no EncodingAESKey is configured
	receiveID string // AppID for an official account, CorpID for WeCom
}

// errWrongReceiver is returned by decrypt when the message was encrypted for
// another receiveid (another AppID or CorpID).
var errWrongReceiver = errors.New("message is encrypted for another app")

// newMsgCrypto returns the crypto for token, the 43-character encodingAESKey
// ("" for plaintext mode only) and the receiveid.
func newMsgCrypto(token, encodingAESKey, receiveID string) (msgCrypto, error) {
	c := msgCrypto{token: token, receiveID: receiveID}
	if encodingAESKey != "" {
		key, err := decodeAESKey(encodingAESKey)
		if err != nil {
			return msgCrypto{}, err
		}
		c.key = key
	}
	return c, nil
}

// sign returns hex(sha1(concat(sort(token, parts...)))).
func (c msgCrypto) sign(parts ...string) string {
	return util.Signature(append([]string{c.token}, parts...)...)
}

// verify reports, in constant time, whether sig is the signature of the
// token and parts: (timestamp, nonce) for signature, (timestamp, nonce,
// Encrypt) for msg_signature.
func (c msgCrypto) verify(sig string, parts ...string) bool {
	want := c.sign(parts...)
	return subtle.ConstantTimeCompare([]byte(sig), []byte(want)) == 1
}

// decrypt decodes and decrypts an Encrypt value. It returns the 16 random
// bytes and the message, errWrongReceiver when the receiveid inside is not
// c.receiveID, and another error for anything malformed (not base64, not a
// whole number of blocks, bad padding, a length field that does not fit).
func (c msgCrypto) decrypt(encrypted string) (random, msg []byte, err error) {
	if c.key == nil {
		return nil, nil, errors.New("no encoding_aes_key is configured")
	}
	ct, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil {
		return nil, nil, errors.New("the Encrypt field is not base64")
	}
	random, msg, receiveID, err := aesDecrypt(ct, c.key)
	if err != nil {
		return nil, nil, err
	}
	if string(receiveID) != c.receiveID {
		return nil, nil, errWrongReceiver
	}
	return random, msg, nil
}

// aesDecrypt calls the SDK and turns a panic inside it (none is known; the
// fuzz test looks for one) into an error.
func aesDecrypt(ct, key []byte) (random, msg, receiveID []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decrypt failed: %v", p)
		}
	}()
	random, msg, receiveID, err = util.AESDecryptMsg(ct, key)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("decrypt failed: %w", err)
	}
	return random, msg, receiveID, nil
}

// encrypt returns base64(AES-256-CBC(random + len + msg + receiveid)). A nil
// random is replaced by 16 fresh random bytes.
func (c msgCrypto) encrypt(random, msg []byte) (string, error) {
	if c.key == nil {
		return "", errors.New("no encoding_aes_key is configured")
	}
	if random == nil {
		random = make([]byte, 16)
		if _, err := rand.Read(random); err != nil {
			return "", fmt.Errorf("read random: %w", err)
		}
	}
	if len(random) != 16 {
		return "", fmt.Errorf("random must be 16 bytes, got %d", len(random))
	}
	return base64.StdEncoding.EncodeToString(util.AESEncryptMsg(random, msg, c.receiveID, c.key)), nil
}

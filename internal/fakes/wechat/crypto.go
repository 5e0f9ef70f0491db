package wechat

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// This file is WeChat's side of the message crypto, written from the
// published algorithm with the standard library only, so that tests of the
// adapter (which uses the silenceper SDK) compare two independent
// implementations.

// blockSize is WeChat's PKCS#7 block: 32 bytes, not AES's 16.
const blockSize = 32

// Signature returns hex(sha1(concat(sort(parts)))), WeChat's signature over
// token, timestamp, nonce and, for msg_signature, the Encrypt value.
func Signature(parts ...string) string {
	p := append([]string(nil), parts...)
	sort.Strings(p)
	sum := sha1.Sum([]byte(strings.Join(p, "")))
	return hex.EncodeToString(sum[:])
}

// DecodeKey decodes a 43-character EncodingAESKey into the 32-byte AES key.
func DecodeKey(encodingAESKey string) ([]byte, error) {
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("fake wechat: EncodingAESKey must be 43 characters, got %d", len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil {
		return nil, fmt.Errorf("fake wechat: EncodingAESKey is not base64: %w", err)
	}
	return key, nil
}

// Encrypt returns base64(AES-256-CBC(random(16) + len(msg) (4, big-endian)
// + msg + receiveID, PKCS#7 to 32 bytes)) with IV = key[:16]. random must be
// 16 bytes.
func Encrypt(key, random, msg []byte, receiveID string) (string, error) {
	if len(random) != 16 {
		return "", errors.New("fake wechat: random must be 16 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", fmt.Errorf("fake wechat: %w", err)
	}
	var buf bytes.Buffer
	buf.Write(random)
	_ = binary.Write(&buf, binary.BigEndian, uint32(len(msg)))
	buf.Write(msg)
	buf.WriteString(receiveID)
	pad := blockSize - buf.Len()%blockSize
	buf.Write(bytes.Repeat([]byte{byte(pad)}, pad))
	out := buf.Bytes()
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, out)
	return base64.StdEncoding.EncodeToString(out), nil
}

// Decrypt reverses Encrypt, strictly: every padding byte is checked. It
// returns the message and the receiveID found after it.
func Decrypt(key []byte, encrypted string) (msg []byte, receiveID string, err error) {
	ct, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil {
		return nil, "", fmt.Errorf("fake wechat: ciphertext is not base64: %w", err)
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, "", fmt.Errorf("fake wechat: ciphertext length %d is not a positive multiple of 16", len(ct))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, "", fmt.Errorf("fake wechat: %w", err)
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(pt, ct)
	pad := int(pt[len(pt)-1])
	if pad < 1 || pad > blockSize || pad > len(pt) {
		return nil, "", fmt.Errorf("fake wechat: bad padding %d", pad)
	}
	for _, b := range pt[len(pt)-pad:] {
		if int(b) != pad {
			return nil, "", errors.New("fake wechat: bad padding bytes")
		}
	}
	pt = pt[:len(pt)-pad]
	if len(pt) < 20 {
		return nil, "", errors.New("fake wechat: plaintext too short")
	}
	n := int(binary.BigEndian.Uint32(pt[16:20]))
	if n > len(pt)-20 {
		return nil, "", fmt.Errorf("fake wechat: message length %d exceeds plaintext", n)
	}
	return pt[20 : 20+n], string(pt[20+n:]), nil
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckWarnsWeChatPlaintext: check passes a WeChat account in plaintext
// mode but warns that the body cannot be authenticated; safe mode is quiet.
func TestCheckWarnsWeChatPlaintext(t *testing.T) {
	write := func(aes string) string {
		f := filepath.Join(t.TempDir(), "c.yaml")
		y := "wechat:\n  enabled: true\n  app_id: wx5fa1c0ffee0d1e2f\n  app_secret: s3cret\n  token: Tok3nForTests\n"
		if aes != "" {
			y += "  encoding_aes_key: " + aes + "\n"
		}
		if err := os.WriteFile(f, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	_, errOut, err := runCheck(t, "--config", write(""))
	if err != nil {
		t.Fatalf("check failed: %v\n%s", err, errOut)
	}
	if !strings.Contains(errOut, "warning: wechat.encoding_aes_key is empty") || !strings.Contains(errOut, "安全模式") {
		t.Fatalf("no plaintext-mode warning:\n%s", errOut)
	}
	_, errOut, err = runCheck(t, "--config", write("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"))
	if err != nil {
		t.Fatalf("check failed: %v\n%s", err, errOut)
	}
	if strings.Contains(errOut, "warning: wechat") {
		t.Fatalf("warning in safe mode:\n%s", errOut)
	}
}

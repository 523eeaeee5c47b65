// VerifyWebhook against signatures made by the openssl CLI, an implementation independent of this
// package and of the server.

package rexec

import (
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

func opensslSign(t *testing.T, secret string, stamp int64, body string) string {
	t.Helper()
	cmd := exec.Command("openssl", "dgst", "-sha256", "-hmac", secret, "-r")
	cmd.Stdin = strings.NewReader(strconv.FormatInt(stamp, 10) + "." + body)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl: %v", err)
	}
	return "v1=" + strings.Fields(string(out))[0]
}

func TestVerifyWebhookAcceptsOnlyIntactFreshDeliveries(t *testing.T) {
	secret := "whsec_" + strings.Repeat("cd", 32)
	body := `{"id":"7","type":"container.stopped","data":{"reason":"idle"}}`
	now := time.Unix(1_800_000_000, 0)
	header := http.Header{}
	header.Set("Rexec-Timestamp", strconv.FormatInt(now.Unix(), 10))
	header.Set("Rexec-Signature", opensslSign(t, secret, now.Unix(), body))
	if err := verifyWebhookAt(secret, header, []byte(body), 0, now.Add(10*time.Second)); err != nil {
		t.Fatalf("intact delivery refused: %v", err)
	}
	if err := verifyWebhookAt(secret, header, []byte(strings.Replace(body, "idle", "user", 1)), 0, now); err == nil {
		t.Fatal("changed body accepted")
	}
	if err := verifyWebhookAt("whsec_other", header, []byte(body), 0, now); err == nil {
		t.Fatal("other secret accepted")
	}
	if err := verifyWebhookAt(secret, header, []byte(body), 0, now.Add(6*time.Minute)); err == nil {
		t.Fatal("stale delivery accepted")
	}
	if err := verifyWebhookAt(secret, header, []byte(body), time.Hour, now.Add(6*time.Minute)); err != nil {
		t.Fatalf("wider tolerance refused: %v", err)
	}
}

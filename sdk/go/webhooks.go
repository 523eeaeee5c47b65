// The caller's webhooks (create, list, delete, deliveries, test) and VerifyWebhook, which a
// receiver calls on every delivery before trusting it.

package rexec

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WebhooksService is Client.Webhooks.
type WebhooksService struct{ api *api }

// Create adds a webhook; keep the answer's Secret, it is never shown again.
func (s *WebhooksService) Create(ctx context.Context, req CreateWebhookRequest) (*WebhookCreated, error) {
	var created WebhookCreated
	if _, err := s.api.do(ctx, http.MethodPost, "/webhooks", nil, req, &created); err != nil {
		return nil, err
	}
	return &created, nil
}

// List returns the caller's webhooks, without secrets.
func (s *WebhooksService) List(ctx context.Context) ([]Webhook, error) {
	var list webhookList
	if _, err := s.api.do(ctx, http.MethodGet, "/webhooks", nil, nil, &list); err != nil {
		return nil, err
	}
	return list.Webhooks, nil
}

// Delete removes a webhook and its pending deliveries.
func (s *WebhooksService) Delete(ctx context.Context, id string) error {
	path, err := segment(id, "webhook id")
	if err != nil {
		return err
	}
	_, err = s.api.do(ctx, http.MethodDelete, "/webhooks/"+path, nil, nil, nil)
	return err
}

// Deliveries returns the webhook's newest deliveries first (at most 100).
func (s *WebhooksService) Deliveries(ctx context.Context, id string) ([]WebhookDelivery, error) {
	path, err := segment(id, "webhook id")
	if err != nil {
		return nil, err
	}
	var list webhookDeliveryList
	if _, err := s.api.do(ctx, http.MethodGet, "/webhooks/"+path+"/deliveries", nil, nil, &list); err != nil {
		return nil, err
	}
	return list.Deliveries, nil
}

// Test queues a webhook.test event for this webhook only and returns its event id.
func (s *WebhooksService) Test(ctx context.Context, id string) (string, error) {
	path, err := segment(id, "webhook id")
	if err != nil {
		return "", err
	}
	var queued webhookTestQueued
	if _, err := s.api.do(ctx, http.MethodPost, "/webhooks/"+path+"/test", nil, nil, &queued); err != nil {
		return "", err
	}
	return queued.EventID, nil
}

// DefaultWebhookTolerance is how old (or new) a delivery's Rexec-Timestamp may be.
const DefaultWebhookTolerance = 5 * time.Minute

// ErrWebhookSignature is what VerifyWebhook returns for a delivery that must not be trusted.
var ErrWebhookSignature = errors.New("rexec: webhook signature or timestamp not valid")

// VerifyWebhook checks a delivery: Rexec-Signature must hold v1=<hex HMAC-SHA256(secret,
// "<Rexec-Timestamp>.<body>")> and the timestamp must be within tolerance of now (0 means
// DefaultWebhookTolerance). body is the raw request body, before any JSON decoding.
func VerifyWebhook(secret string, header http.Header, body []byte, tolerance time.Duration) error {
	return verifyWebhookAt(secret, header, body, tolerance, time.Now())
}

func verifyWebhookAt(secret string, header http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	if tolerance <= 0 {
		tolerance = DefaultWebhookTolerance
	}
	stamp := header.Get("Rexec-Timestamp")
	seconds, err := strconv.ParseInt(stamp, 10, 64)
	if err != nil {
		return ErrWebhookSignature
	}
	age := now.Sub(time.Unix(seconds, 0))
	if age > tolerance || age < -tolerance {
		return ErrWebhookSignature
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(stamp + "."))
	mac.Write(body)
	expected := []byte("v1=" + hex.EncodeToString(mac.Sum(nil)))
	for _, part := range strings.Split(header.Get("Rexec-Signature"), ",") {
		if hmac.Equal([]byte(strings.TrimSpace(part)), expected) {
			return nil
		}
	}
	return ErrWebhookSignature
}

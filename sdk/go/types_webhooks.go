// Bodies of the webhook routes (packages/protocol/src/api/webhooks.ts). Checked against the
// server's OpenAPI document by drift_test.go.

package rexec

import "time"

// WebhookDeliveryStatus is where a delivery stands.
type WebhookDeliveryStatus string

// Delivery statuses: pending (queued or waiting to be retried), delivered (a 2xx answer), failed
// (retried for 24 hours without one).
const (
	DeliveryPending   WebhookDeliveryStatus = "pending"
	DeliveryDelivered WebhookDeliveryStatus = "delivered"
	DeliveryFailed    WebhookDeliveryStatus = "failed"
)

// CreateWebhookRequest is the body of POST /webhooks. Events holds exact types
// ("container.stopped"), prefixes ("container" or "container.*") or "*".
type CreateWebhookRequest struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description,omitempty"`
}

// Webhook is one of the caller's webhooks, without its secret.
type Webhook struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	Events      []string  `json:"events"`
	Description *string   `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
}

// WebhookCreated is the answer of POST /webhooks: Secret signs every delivery and is shown only here.
type WebhookCreated struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	Events      []string  `json:"events"`
	Description *string   `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	Secret      string    `json:"secret"`
}

type webhookList struct {
	Webhooks []Webhook `json:"webhooks"`
}

// WebhookDelivery is one event sent (or being sent) to a webhook.
type WebhookDelivery struct {
	ID       string                `json:"id"`
	EventID  string                `json:"event_id"`
	Status   WebhookDeliveryStatus `json:"status"`
	Attempts int                   `json:"attempts"`
	// LastStatus is the receiver's HTTP status on the last attempt; nil when it never answered.
	LastStatus    *int       `json:"last_status,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
}

type webhookDeliveryList struct {
	Deliveries []WebhookDelivery `json:"deliveries"`
}

type webhookTestQueued struct {
	EventID string `json:"event_id"`
}

// Bodies of the events and audit routes (packages/protocol/src/api/events.ts and audit.ts). Checked
// against the server's OpenAPI document by drift_test.go.

package rexec

import "time"

// EventType is an event's dotted type; the README's table says what each one means.
type EventType string

// Every event type the control plane writes (EVENT_TYPES in the protocol package).
const (
	EventContainerCreated           EventType = "container.created"
	EventContainerRunning           EventType = "container.running"
	EventContainerStopped           EventType = "container.stopped"
	EventContainerError             EventType = "container.error"
	EventContainerDeleting          EventType = "container.deleting"
	EventContainerDeleted           EventType = "container.deleted"
	EventContainerQuarantined       EventType = "container.quarantined"
	EventContainerDiskQuotaExceeded EventType = "container.disk_quota_exceeded"
	EventContainerDiskUnmeasurable  EventType = "container.disk_unmeasurable"
	EventHostEnrolled               EventType = "host.enrolled"
	EventHostApproved               EventType = "host.approved"
	EventHostOnline                 EventType = "host.online"
	EventHostUnreachable            EventType = "host.unreachable"
	EventHostCordoned               EventType = "host.cordoned"
	EventHostUncordoned             EventType = "host.uncordoned"
	EventHostDraining               EventType = "host.draining"
	EventHostPending                EventType = "host.pending"
	EventHostHealthy                EventType = "host.healthy"
	EventHostUnhealthy              EventType = "host.unhealthy"
	EventHostCapacityCapped         EventType = "host.capacity_capped"
	EventHostTrusted                EventType = "host.trusted"
	EventHostUntrusted              EventType = "host.untrusted"
	EventHostCredentialRevoked      EventType = "host.credential_revoked"
	EventHostJoinTokenCreated       EventType = "host.join_token_created"
	EventHostJoinTokenRevoked       EventType = "host.join_token_revoked"
	EventHostLost                   EventType = "host.lost"
	EventHostReturned               EventType = "host.returned"
	EventHostRemoved                EventType = "host.removed"
	EventUserCreated                EventType = "user.created"
	EventUserTierChanged            EventType = "user.tier_changed"
	EventUserDisabled               EventType = "user.disabled"
	EventUserEnabled                EventType = "user.enabled"
	EventUserDeleted                EventType = "user.deleted"
	EventTokenCreated               EventType = "token.created"
	EventTokenRevoked               EventType = "token.revoked"
	EventWebhookTest                EventType = "webhook.test"
)

// EventTypes lists every EventType, in the protocol's order.
var EventTypes = []EventType{EventContainerCreated, EventContainerRunning, EventContainerStopped, EventContainerError, EventContainerDeleting, EventContainerDeleted, EventContainerQuarantined, EventContainerDiskQuotaExceeded, EventContainerDiskUnmeasurable, EventHostEnrolled, EventHostApproved, EventHostOnline, EventHostUnreachable, EventHostCordoned, EventHostUncordoned, EventHostDraining, EventHostPending, EventHostHealthy, EventHostUnhealthy, EventHostCapacityCapped, EventHostTrusted, EventHostUntrusted, EventHostCredentialRevoked, EventHostJoinTokenCreated, EventHostJoinTokenRevoked, EventHostLost, EventHostReturned, EventHostRemoved, EventUserCreated, EventUserTierChanged, EventUserDisabled, EventUserEnabled, EventUserDeleted, EventTokenCreated, EventTokenRevoked, EventWebhookTest}

// Event is one change: a container's status, a host's, an account's. Data holds "reason" (why),
// "actor_user_id" (who, when not the owner) and the type's own details.
type Event struct {
	// ID is a decimal 64-bit number; compare ids as strings only for equality.
	ID          string    `json:"id"`
	Type        EventType `json:"type"`
	At          time.Time `json:"at"`
	ContainerID string    `json:"container_id,omitempty"`
	HostID      string    `json:"host_id,omitempty"`
	// UserID is a container event's owner; for other events the user who acted.
	UserID string                 `json:"user_id,omitempty"`
	Data   map[string]interface{} `json:"data"`
}

// Reason is Data["reason"] when it is a string (container.stopped, container.error, …), else "".
func (e Event) Reason() string {
	reason, _ := e.Data["reason"].(string)
	return reason
}

// EventList is one page of GET /events, oldest first. NextCursor is the last event's id (pass it
// back as EventsQuery.Cursor for the events after this page); nil only before any event exists.
type EventList struct {
	Events     []Event `json:"events"`
	NextCursor *string `json:"next_cursor"`
}

// AuditOutcome says whether an audited call succeeded.
type AuditOutcome string

const (
	AuditSuccess AuditOutcome = "success"
	AuditFailure AuditOutcome = "failure"
)

// AuditEntry is one state-changing API call, successful or not: who (ActorUserID and ActorTokenID,
// empty when the caller could not be identified), what (Action such as "container.create" on
// TargetType/TargetID), from where (IP, UserAgent), RequestID and the outcome.
type AuditEntry struct {
	ID           string       `json:"id"`
	At           time.Time    `json:"at"`
	ActorUserID  string       `json:"actor_user_id,omitempty"`
	ActorTokenID string       `json:"actor_token_id,omitempty"`
	Action       string       `json:"action"`
	TargetType   string       `json:"target_type"`
	TargetID     string       `json:"target_id,omitempty"`
	IP           string       `json:"ip"`
	UserAgent    string       `json:"user_agent,omitempty"`
	RequestID    string       `json:"request_id"`
	Outcome      AuditOutcome `json:"outcome"`
	// StatusCode is the HTTP status the call was answered with; ErrorCode the code of a refusal.
	StatusCode int    `json:"status_code"`
	ErrorCode  string `json:"error_code,omitempty"`
}

// AuditList is one page of GET /audit, newest first. NextCursor (pass it back as AuditQuery.Cursor
// for older entries) is nil on the last page.
type AuditList struct {
	Entries    []AuditEntry `json:"entries"`
	NextCursor *string      `json:"next_cursor"`
}

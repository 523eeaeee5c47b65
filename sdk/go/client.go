// The Client: compiles the options once (API root, token, *http.Client, user agent, retry policy)
// and hands them to one service per resource. Requests themselves are http.go's; terminals are
// terminal.go's.

package rexec

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Version is this module's version, sent in the default User-Agent.
const Version = "0.1.0"

// APIBasePath is the path of REST API v1 under the server's root.
const APIBasePath = "/api/v1"

// Client is a Rexec API client. It is safe for concurrent use.
type Client struct {
	// Containers are the caller's containers.
	Containers *ContainersService
	// Me is the caller, their tier and usage.
	Me *MeService
	// Tokens are the caller's API tokens.
	Tokens *TokensService
	// Images is the image catalog.
	Images *ImagesService
	// Roles is the setup role catalog.
	Roles *RolesService
	// Tiers lists tiers (anyone) and edits them (admins).
	Tiers *TiersService
	// Users manages accounts (admins).
	Users *UsersService
	// Hosts manages the fleet (admins).
	Hosts *HostsService
	// JoinTokens mints join tokens for new agents (admins).
	JoinTokens *JoinTokensService
	// Webhooks are the caller's webhooks; VerifyWebhook checks what they deliver.
	Webhooks *WebhooksService
	// Events are what happened to the caller's containers (and, for admins, the fleet): pages
	// and a live stream.
	Events *EventsService
	// Audit is the log of state-changing API calls (admins).
	Audit *AuditService
	// Terminal opens interactive shells in running containers.
	Terminal *TerminalService

	api *api
}

// Option configures a Client.
type Option func(*api)

// WithHTTPClient sends requests through c (its Transport, timeouts, proxy and TLS settings; the
// terminal's WebSocket dial uses the proxy and TLS settings of an *http.Transport too). The
// default is http.DefaultClient.
func WithHTTPClient(c *http.Client) Option {
	return func(a *api) {
		if c != nil {
			a.httpClient = c
		}
	}
}

// WithUserAgent sets the User-Agent header of every request (default "rexec-go/<Version>").
func WithUserAgent(userAgent string) Option {
	return func(a *api) { a.userAgent = userAgent }
}

// WithRetry retries requests the server answers 429 or 503, honouring its Retry-After (see
// RetryPolicy; DefaultRetryPolicy is a good start). Without it nothing is retried.
func WithRetry(policy RetryPolicy) Option {
	return func(a *api) { a.retry = policy }
}

// NewClient returns a client for the control plane at baseURL (https://rexec.example.com; a
// trailing /api/v1 is accepted) authenticating with an API token (rexec_…). A bad baseURL or token
// does not panic: every call then returns the error.
func NewClient(baseURL, token string, opts ...Option) *Client {
	a := &api{httpClient: http.DefaultClient, userAgent: "rexec-go/" + Version, token: token}
	a.root, a.initErr = apiRoot(baseURL)
	if a.initErr == nil {
		a.initErr = checkToken(token)
	}
	for _, opt := range opts {
		opt(a)
	}
	return &Client{
		Containers: &ContainersService{api: a},
		Me:         &MeService{api: a},
		Tokens:     &TokensService{api: a},
		Images:     &ImagesService{api: a},
		Roles:      &RolesService{api: a},
		Tiers:      &TiersService{api: a},
		Users:      &UsersService{api: a},
		Hosts:      &HostsService{api: a},
		JoinTokens: &JoinTokensService{api: a},
		Webhooks:   &WebhooksService{api: a},
		Events:     &EventsService{api: a},
		Audit:      &AuditService{api: a},
		Terminal:   &TerminalService{api: a},
		api:        a,
	}
}

func apiRoot(baseURL string) (*url.URL, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("rexec: base URL must be an absolute http(s) URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("rexec: base URL must be an absolute http(s) URL, got %q", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("rexec: base URL must not carry a query string or fragment")
	}
	path := strings.TrimRight(u.Path, "/")
	if !strings.HasSuffix(path, APIBasePath) {
		path += APIBasePath
	}
	u.Path, u.RawPath = path, ""
	return u, nil
}

func checkToken(token string) error {
	if strings.TrimSpace(token) == "" {
		return errors.New("rexec: token must be a non-empty API token")
	}
	// A header cannot carry these; saying so here beats a cryptic transport error later.
	for _, r := range token {
		if r <= ' ' || r == 0x7f {
			return errors.New("rexec: token must not contain whitespace or control characters")
		}
	}
	return nil
}

// The caller's own routes against the real server: /me, the catalogs, the tiers, API tokens from
// creation to revocation, and the client's options (its *http.Client, its User-Agent).

package rexec_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	rexec "github.com/rexec/rexec/sdk/go"
)

// recorder is a real http.RoundTripper (the default transport) that notes each exchange.
type recorder struct {
	mu       sync.Mutex
	agents   []string
	statuses []int
}

func (r *recorder) RoundTrip(request *http.Request) (*http.Response, error) {
	response, err := http.DefaultTransport.RoundTrip(request)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.agents = append(r.agents, request.Header.Get("User-Agent"))
	if err == nil {
		r.statuses = append(r.statuses, response.StatusCode)
	}
	return response, err
}

func (r *recorder) seen() ([]string, []int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.agents...), append([]int(nil), r.statuses...)
}

func TestMeAndTheCatalogs(t *testing.T) {
	ctx := testContext(t)
	traffic := &recorder{}
	client := admin(rexec.WithHTTPClient(&http.Client{Transport: traffic}), rexec.WithUserAgent("go-sdk-tests/1"))
	me, err := client.Me.Get(ctx)
	if err != nil {
		t.Fatalf("me: %v", err)
	}
	if !me.User.IsAdmin || me.User.ID == "" || me.Tier.Name != me.User.Tier || me.Tier.MaxContainers != 25 {
		t.Errorf("me: %+v", me)
	}
	images, err := client.Images.List(ctx)
	if err != nil {
		t.Fatalf("images: %v", err)
	}
	names := map[string]rexec.Image{}
	for _, image := range images {
		names[image.Name] = image
	}
	if names[rexec.ImageDebianBookworm].Reference == "" || names[rexec.ImageCustom].Reference != "" || len(images) != 5 {
		t.Errorf("images: %+v", images)
	}
	roles, err := client.Roles.List(ctx)
	if err != nil || len(roles) != 6 {
		t.Fatalf("roles: %+v, %v", roles, err)
	}
	tiers, err := client.Tiers.List(ctx)
	if err != nil {
		t.Fatalf("tiers: %v", err)
	}
	tierNames := map[string]bool{}
	for _, tier := range tiers {
		tierNames[tier.Name] = true
	}
	if len(tierNames) < 3 || !tierNames["community"] || !tierNames["pro"] || !tierNames["enterprise"] {
		t.Errorf("tiers: %v", tierNames)
	}
	agents, statuses := traffic.seen()
	if len(agents) != 4 || agents[0] != "go-sdk-tests/1" || statuses[0] != 200 {
		t.Errorf("the client's own *http.Client and User-Agent carried every request: %v %v", agents, statuses)
	}
}

func TestTokensFromCreationToRevocation(t *testing.T) {
	ctx := testContext(t)
	client := admin()
	name := uniqueName("go-token")
	created, err := client.Tokens.Create(ctx, name)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if !strings.HasPrefix(created.Token, "rexec_") || !strings.HasPrefix(created.Token, created.TokenPrefix) || created.Name != name {
		t.Fatalf("create: %+v", created)
	}
	second := rexec.NewClient(fixture.url, created.Token)
	if me, err := second.Me.Get(ctx); err != nil || !me.User.IsAdmin {
		t.Fatalf("the new token works: %+v, %v", me, err)
	}
	tokens, err := client.Tokens.List(ctx)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	var listed *rexec.Token
	for i := range tokens {
		if tokens[i].ID == created.ID {
			listed = &tokens[i]
		}
	}
	if listed == nil || listed.Name != name || listed.TokenPrefix != created.TokenPrefix {
		t.Fatalf("the list shows the token without its secret: %+v", listed)
	}
	if err := client.Tokens.Revoke(ctx, created.ID); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	_, err = second.Me.Get(ctx)
	var refusal *rexec.Error
	if !errors.As(err, &refusal) || refusal.StatusCode != 401 || !errors.Is(err, rexec.ErrUnauthorized) {
		t.Fatalf("a revoked token is refused at once: %v", err)
	}
	if err := client.Tokens.Revoke(ctx, created.ID); !errors.Is(err, rexec.ErrNotFound) {
		t.Errorf("revoking twice: %v, want not_found", err)
	}
}

func TestBadClientSettingsFailEveryCall(t *testing.T) {
	ctx := testContext(t)
	for _, client := range []*rexec.Client{
		rexec.NewClient("ftp://rexec.example", fixture.token),
		rexec.NewClient(fixture.url+"?x=1", fixture.token),
		rexec.NewClient(fixture.url, ""),
		rexec.NewClient(fixture.url, "rexec_ with space"),
	} {
		if _, err := client.Me.Get(ctx); err == nil {
			t.Error("a bad base URL or token must fail the call")
		}
		if _, err := client.Terminal.Connect(ctx, "box", rexec.TerminalOptions{}); err == nil {
			t.Error("a bad base URL or token must fail the terminal")
		}
	}
	withAPIPath := rexec.NewClient(strings.TrimRight(fixture.url, "/")+"/api/v1/", fixture.token)
	if _, err := withAPIPath.Me.Get(ctx); err != nil {
		t.Errorf("a base URL ending in /api/v1/ is accepted: %v", err)
	}
	if _, err := admin().Containers.Get(ctx, "../tokens"); !errors.Is(err, rexec.ErrInvalidRequest) {
		t.Errorf("a reference stays inside its path segment (a bad name, not another route): %v", err)
	}
	if _, err := admin().Containers.Get(ctx, ""); err == nil {
		t.Error("an empty container reference is refused before any request")
	}
}

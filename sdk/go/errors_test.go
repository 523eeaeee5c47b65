// Every refusal the server answers arrives as an *Error with its code, status, details and
// request id, and matches its sentinel; 429 and 503 are retried by policy (429 after the server's
// Retry-After); a context ends every call, a retry's wait included.

package rexec_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	rexec "github.com/rexec/rexec/sdk/go"
)

// refusal asserts err is an *Error with the status and code, matching sentinel.
func refusal(t *testing.T, err error, status int, sentinel error) *rexec.Error {
	t.Helper()
	var e *rexec.Error
	if !errors.As(err, &e) {
		t.Fatalf("want an *rexec.Error %d, got %v", status, err)
	}
	if e.StatusCode != status || !errors.Is(err, sentinel) || e.Message == "" || e.RequestID == "" {
		t.Fatalf("want %d matching %v with a message and request id, got %+v", status, sentinel, e)
	}
	return e
}

// userOn makes a user on tier and returns their API token.
func userOn(t *testing.T, tier string) string {
	t.Helper()
	created, err := admin().Users.Create(testContext(t), rexec.CreateUserRequest{Name: uniqueName("go-err"), Tier: tier})
	if err != nil {
		t.Fatalf("creating a user: %v", err)
	}
	return created.Token
}

func TestEveryRefusalIsATypedError(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	stranger := rexec.NewClient(fixture.url, "rexec_"+strings.Repeat("0", 64))
	_, err := stranger.Me.Get(ctx)
	refusal(t, err, 401, rexec.ErrUnauthorized)
	if errors.Is(err, rexec.ErrForbidden) || errors.Is(err, rexec.ErrNotFound) {
		t.Error("a 401 matches no other sentinel")
	}

	if _, err := admin().Tiers.Update(ctx, "pro", rexec.TierPatch{MaxContainers: rexec.Int(1)}); err != nil {
		t.Fatalf("tier update: %v", err)
	}
	user := rexec.NewClient(fixture.url, userOn(t, "pro"))
	_, err = user.Hosts.List(ctx)
	refusal(t, err, 403, rexec.ErrForbidden)

	tooBig := boxRequest(uniqueName("go-big"))
	tooBig.Resources = &rexec.ResourcesRequest{CPUMillicores: 64000, MemoryMB: 64}
	_, err = user.Containers.Create(ctx, tooBig)
	e := refusal(t, err, 403, rexec.ErrResourceLimitExceeded)
	if e.Details["resource"] != "cpu_millicores" || e.Details["requested"] != float64(64000) || e.Details["tier"] != "pro" {
		t.Errorf("the details name the resource: %v", e.Details)
	}

	mine, err := user.Containers.Create(ctx, boxRequest(uniqueName("go-only")))
	if err != nil {
		t.Fatalf("the first container fits: %v", err)
	}
	t.Cleanup(func() { removeBox(t, user, mine.ID) })
	_, err = user.Containers.Create(ctx, boxRequest(uniqueName("go-second")))
	e = refusal(t, err, 403, rexec.ErrContainerLimitReached)
	if e.Details["limit"] != float64(1) || e.Details["current"] != float64(1) {
		t.Errorf("the details give limit and current: %v", e.Details)
	}

	_, err = user.Containers.Get(ctx, "not-there")
	refusal(t, err, 404, rexec.ErrNotFound)
	_, err = admin().Containers.Get(ctx, mine.ID)
	refusal(t, err, 404, rexec.ErrNotFound)

	taken := uniqueName("go-taken")
	first, err := admin().Containers.Create(ctx, boxRequest(taken))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { removeBox(t, admin(), first.ID) })
	_, err = admin().Containers.Create(ctx, boxRequest(taken))
	refusal(t, err, 409, rexec.ErrNameTaken)

	_, err = admin().Containers.Create(ctx, boxRequest("Bad Name"))
	e = refusal(t, err, 400, rexec.ErrInvalidRequest)
	if issues := e.Issues(); len(issues) == 0 || issues[0].Path != "name" || issues[0].Message == "" {
		t.Errorf("the issues name the field: %+v", issues)
	}
}

func TestNoCapacityIsRetriedByPolicyThenReturned(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	traffic := &recorder{}
	client := admin(
		rexec.WithHTTPClient(&http.Client{Transport: traffic}),
		rexec.WithRetry(rexec.RetryPolicy{MaxRetries: 2, MaxDelay: 2 * time.Second, BaseDelay: 50 * time.Millisecond}),
	)
	name := uniqueName("go-huge")
	huge := boxRequest(name)
	// Within the tier (raised in TestMain), beyond any host (16 GiB each): memory is never overcommitted.
	huge.Resources = &rexec.ResourcesRequest{CPUMillicores: 250, MemoryMB: 40000, DiskMB: 512}
	_, err := client.Containers.Create(ctx, huge)
	refusal(t, err, 503, rexec.ErrNoCapacity)
	if _, statuses := traffic.seen(); len(statuses) != 3 || statuses[0] != 503 || statuses[2] != 503 {
		t.Errorf("a 503 is sent again twice, then returned: %v", statuses)
	}
	if _, err := admin().Containers.Get(ctx, name); !errors.Is(err, rexec.ErrNotFound) {
		t.Errorf("nothing was created: %v", err)
	}
}

func TestRateLimitsHonourRetryAfter(t *testing.T) {
	// Waits out a real rate-limit window (up to a minute) beside the other tests.
	t.Parallel()
	ctx := testContext(t)
	if _, err := admin().Tiers.Update(ctx, "community", rexec.TierPatch{RateLimits: &rexec.RateLimitPatch{ListPerMinute: rexec.Int(2)}}); err != nil {
		t.Fatalf("tier update: %v", err)
	}
	if adminTier == "community" {
		t.Fatal("the admin must not share the tier this test limits")
	}
	patient := rexec.WithRetry(rexec.RetryPolicy{MaxRetries: 1, MaxDelay: 90 * time.Second})
	token := userOn(t, "community")
	user := rexec.NewClient(fixture.url, token)
	for i := 0; i < 2; i++ {
		if _, err := user.Me.Get(ctx); err != nil {
			t.Fatalf("within the budget: %v", err)
		}
	}
	_, err := user.Me.Get(ctx)
	e := refusal(t, err, 429, rexec.ErrRateLimited)
	if e.RetryAfter < time.Second || e.RetryAfter > time.Minute {
		t.Fatalf("RetryAfter is the window's rest, 1 s to 60 s: %v", e.RetryAfter)
	}

	// A retry's wait ends with the context.
	hurried, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	impatient := rexec.NewClient(fixture.url, token, patient)
	_, err = impatient.Me.Get(hurried)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a wait for Retry-After ends with the context: %v", err)
	}
	// A wait longer than MaxDelay is not attempted.
	brief := rexec.NewClient(fixture.url, token, rexec.WithRetry(rexec.RetryPolicy{MaxRetries: 3, MaxDelay: 100 * time.Millisecond}))
	_, err = brief.Me.Get(ctx)
	refusal(t, err, 429, rexec.ErrRateLimited)

	counted := &recorder{}
	waiting := rexec.NewClient(fixture.url, token, patient, rexec.WithHTTPClient(&http.Client{Transport: counted}))
	me, err := waiting.Me.Get(ctx)
	if err != nil || me.Tier.Name != "community" {
		t.Fatalf("after Retry-After the request goes through: %+v, %v", me, err)
	}
	if _, statuses := counted.seen(); len(statuses) != 2 || statuses[0] != 429 || statuses[1] != 200 {
		t.Errorf("one 429, waited out, then 200: %v", statuses)
	}
}

func TestContextsEndCalls(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := admin().Me.Get(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled context: %v", err)
	}
	created, err := admin().Containers.Create(ctx, boxRequest(uniqueName("go-ctx")))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { removeBox(t, admin(), created.ID) })
	short, cancelShort := context.WithTimeout(ctx, time.Millisecond)
	defer cancelShort()
	if _, err := admin().Containers.WaitRunning(short, created.ID); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitRunning ends with its context: %v", err)
	}
	if _, err := admin().Terminal.Connect(cancelled, created.ID, rexec.TerminalOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Connect ends with its context: %v", err)
	}
}

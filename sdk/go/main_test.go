// The test fixture: these tests run against a real control plane and agent, which the repository's
// harness starts (test/sdk-go/go-sdk.test.ts) and names in the environment. Without it they refuse
// to run rather than skip: there is nothing here to test against a fake.

package rexec_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	rexec "github.com/rexec/rexec/sdk/go"
)

// fixture is what the harness provides.
var fixture struct {
	url       string
	token     string
	image     string
	spareHost string
}

func TestMain(m *testing.M) {
	fixture.url = os.Getenv("REXEC_URL")
	fixture.token = os.Getenv("REXEC_TOKEN")
	fixture.image = os.Getenv("REXEC_TEST_IMAGE")
	fixture.spareHost = os.Getenv("REXEC_TEST_SPARE_HOST")
	if fixture.url == "" || fixture.token == "" || fixture.image == "" || fixture.spareHost == "" {
		fmt.Fprintln(os.Stderr, "These tests drive a real Rexec fleet. Run them with "+
			"`npx tap test/sdk-go/go-sdk.test.ts` from the repository root, which starts one and sets "+
			"REXEC_URL, REXEC_TOKEN (an admin's), REXEC_TEST_IMAGE (an image the engine has) and "+
			"REXEC_TEST_SPARE_HOST (a host the tests may cordon, drain and revoke).")
		os.Exit(2)
	}
	if err := roomForTheTests(); err != nil {
		fmt.Fprintln(os.Stderr, "preparing the fleet:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// adminTier is the tier the admin is on; the tests raise its limits so that tests running side
// by side never meet a rate limit or the container count they do not test.
var adminTier string

func roomForTheTests() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	me, err := admin().Me.Get(ctx)
	if err != nil {
		return err
	}
	adminTier = me.User.Tier
	_, err = admin().Tiers.Update(ctx, adminTier, rexec.TierPatch{
		MaxContainers: rexec.Int(25),
		MemoryMB:      rexec.Int(65536),
		RateLimits: &rexec.RateLimitPatch{
			CreatePerMinute:     rexec.Int(1000),
			OperationsPerMinute: rexec.Int(10000),
			ListPerMinute:       rexec.Int(10000),
		},
	})
	return err
}

// admin is a client with the fleet's admin token.
func admin(opts ...rexec.Option) *rexec.Client {
	return rexec.NewClient(fixture.url, fixture.token, opts...)
}

// testContext gives each test a deadline well inside go test's.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

var boxCounter int64

// uniqueName is a container or user name no other test uses.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1_000_000, atomic.AddInt64(&boxCounter, 1))
}

// small are resources every test container fits in.
var small = &rexec.ResourcesRequest{CPUMillicores: 250, MemoryMB: 64, DiskMB: 512}

// boxRequest creates a container from the test image.
func boxRequest(name string) rexec.CreateContainerRequest {
	return rexec.CreateContainerRequest{Name: name, Image: rexec.ImageCustom, CustomImage: fixture.image, Resources: small}
}

// runningBox creates a container, waits until it runs and deletes it when the test ends.
func runningBox(t *testing.T, client *rexec.Client, prefix string) *rexec.Container {
	t.Helper()
	ctx := testContext(t)
	created, err := client.Containers.Create(ctx, boxRequest(uniqueName(prefix)))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { removeBox(t, client, created.ID) })
	running, err := client.Containers.WaitRunning(ctx, created.ID)
	if err != nil {
		t.Fatalf("wait running: %v", err)
	}
	return running
}

func removeBox(t *testing.T, client *rexec.Client, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := client.Containers.Delete(ctx, id); err != nil && !errors.Is(err, rexec.ErrNotFound) {
		t.Errorf("cleanup: deleting %s: %v", id, err)
	}
}

// A TCP relay in front of the control plane whose connections the terminal tests can cut: the
// real way a network drops a socket (both ends see the connection end without a close frame).

package rexec_test

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
)

type cutter struct {
	listener net.Listener
	target   string
	mu       sync.Mutex
	open     []net.Conn
	accepted int
}

// newCutter relays 127.0.0.1:<port> to the control plane until the test ends.
func newCutter(t *testing.T) *cutter {
	t.Helper()
	target, err := url.Parse(fixture.url)
	if err != nil {
		t.Fatalf("REXEC_URL: %v", err)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	c := &cutter{listener: listener, target: target.Host}
	go c.serve()
	t.Cleanup(func() {
		listener.Close()
		c.cut()
	})
	return c
}

// url is the relay's base URL, for rexec.NewClient.
func (c *cutter) url() string { return "http://" + c.listener.Addr().String() }

func (c *cutter) serve() {
	for {
		client, err := c.listener.Accept()
		if err != nil {
			return // the listener closed at the end of the test
		}
		server, err := net.Dial("tcp", c.target)
		if err != nil {
			client.Close()
			continue
		}
		c.mu.Lock()
		c.open = append(c.open, client, server)
		c.accepted++
		c.mu.Unlock()
		go relay(client, server)
		go relay(server, client)
	}
}

func relay(from, to net.Conn) {
	// Ends when either side closes (or is cut); closing both ends the other direction too.
	_, _ = io.Copy(to, from)
	from.Close()
	to.Close()
}

// cut closes every connection relayed so far, both ends.
func (c *cutter) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.open {
		conn.Close()
	}
	c.open = nil
}

func (c *cutter) connections() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.accepted
}

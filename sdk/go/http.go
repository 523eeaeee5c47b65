// The one HTTP caller: bearer auth, JSON in and out, retries by policy, and every refusal turned
// into an *Error. Which routes exist is the services'; decoding errors become CodeInvalidResponse.

package rexec

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxAnswerBytes bounds what is read of one answer; the API's largest (a full list page) is far below.
const maxAnswerBytes = 16 << 20

type api struct {
	root       *url.URL
	token      string
	httpClient *http.Client
	userAgent  string
	retry      RetryPolicy
	initErr    error
}

// endpoint is root + path (its variable parts already escaped with segment) + query.
func (a *api) endpoint(path string, query url.Values) *url.URL {
	u := *a.root
	u.RawPath = a.root.EscapedPath() + path
	// Path is the decoded form; RawPath keeps an escaped "/" inside its segment.
	decoded, err := url.PathUnescape(u.RawPath)
	if err != nil {
		decoded = u.RawPath // unreachable: segment escapes every part it is given
	}
	u.Path = decoded
	u.RawQuery = query.Encode()
	return &u
}

// segment escapes one path segment given by the caller (an id or a name), so it can never climb
// out of it; whether it names anything is the server's answer.
func segment(value, what string) (string, error) {
	if value == "" {
		return "", fmt.Errorf("rexec: %s must not be empty", what)
	}
	return url.PathEscape(value), nil
}

// do sends a request and decodes a 2xx JSON answer into out (unless out is nil or the answer is
// empty). It returns the status of the answer it accepted.
func (a *api) do(ctx context.Context, method, path string, query url.Values, body, out interface{}) (int, error) {
	if a.initErr != nil {
		return 0, a.initErr
	}
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return 0, fmt.Errorf("rexec: encoding the %s %s body: %w", method, path, err)
		}
	}
	target := a.endpoint(path, query)
	for retry := 1; ; retry++ {
		status, header, answer, err := a.attempt(ctx, method, target, payload)
		if err != nil {
			return 0, err
		}
		if status >= 200 && status < 300 {
			if out == nil || len(bytes.TrimSpace(answer)) == 0 {
				return status, nil
			}
			if err := json.Unmarshal(answer, out); err != nil {
				return status, &Error{
					StatusCode: status,
					Code:       CodeInvalidResponse,
					Message:    fmt.Sprintf("%s %s: the answer does not decode as the Rexec API promises: %v", method, target.Path, err),
					RequestID:  header.Get("X-Request-Id"),
				}
			}
			return status, nil
		}
		refusal := errorFromAnswer(method, target.Path, status, header, answer)
		wait, again := a.retry.delay(retry, refusal)
		if !again {
			return status, refusal
		}
		if err := sleep(ctx, wait); err != nil {
			return status, fmt.Errorf("rexec: %s %s: waiting to retry after %v: %w", method, target.Path, refusal, err)
		}
	}
}

func (a *api) attempt(ctx context.Context, method string, target *url.URL, payload []byte) (int, http.Header, []byte, error) {
	var reader io.Reader
	if payload != nil {
		reader = bytes.NewReader(payload)
	}
	request, err := http.NewRequestWithContext(ctx, method, target.String(), reader)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("rexec: %s %s: %w", method, target.Path, err)
	}
	request.Header.Set("Authorization", "Bearer "+a.token)
	request.Header.Set("Accept", "application/json")
	if a.userAgent != "" {
		request.Header.Set("User-Agent", a.userAgent)
	}
	if payload != nil {
		request.Header.Set("Content-Type", "application/json")
	}
	response, err := a.httpClient.Do(request)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("rexec: %s %s: %w", method, target.Path, err)
	}
	defer response.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(response.Body, maxAnswerBytes))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("rexec: %s %s: reading the answer: %w", method, target.Path, err)
	}
	return response.StatusCode, response.Header, answer, nil
}

// errorBody is the error body every refusal carries: {error, code, ...details}.
type errorBody struct {
	Error      string  `json:"error"`
	Code       string  `json:"code"`
	Issues     []Issue `json:"issues,omitempty"`
	RequestID  string  `json:"request_id,omitempty"`
	RetryAfter *int    `json:"retry_after,omitempty"`
}

// Issue is one schema failure of a 400 invalid_request (Details["issues"] holds them too):
// Path is dotted (resources.cpu_millicores), empty for the whole body.
type Issue struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// Issues returns the schema failures of an invalid_request error, if any.
func (e *Error) Issues() []Issue {
	raw, ok := e.Details["issues"].([]interface{})
	if !ok {
		return nil
	}
	issues := make([]Issue, 0, len(raw))
	for _, item := range raw {
		fields, _ := item.(map[string]interface{})
		path, _ := fields["path"].(string)
		message, _ := fields["message"].(string)
		issues = append(issues, Issue{Path: path, Message: message})
	}
	return issues
}

func errorFromAnswer(method, path string, status int, header http.Header, answer []byte) *Error {
	requestID := header.Get("X-Request-Id")
	var body errorBody
	var details map[string]interface{}
	if json.Unmarshal(answer, &body) != nil || body.Code == "" || body.Error == "" || json.Unmarshal(answer, &details) != nil {
		snippet := strings.Join(strings.Fields(string(answer)), " ")
		if len(snippet) > 200 {
			snippet = snippet[:200]
		}
		message := fmt.Sprintf("%s %s failed with HTTP %d and an empty body", method, path, status)
		if snippet != "" {
			message = fmt.Sprintf("%s %s failed with HTTP %d and a body that is not a Rexec error: %s", method, path, status, snippet)
		}
		return &Error{StatusCode: status, Code: CodeInvalidResponse, Message: message, RequestID: requestID, RetryAfter: retryAfterHeader(header)}
	}
	for _, key := range []string{"error", "code", "request_id", "retry_after"} {
		delete(details, key)
	}
	refusal := &Error{StatusCode: status, Code: body.Code, Message: body.Error, Details: details, RequestID: body.RequestID}
	if refusal.RequestID == "" {
		refusal.RequestID = requestID
	}
	if body.RetryAfter != nil {
		refusal.RetryAfter = time.Duration(*body.RetryAfter) * time.Second
	} else {
		refusal.RetryAfter = retryAfterHeader(header)
	}
	return refusal
}

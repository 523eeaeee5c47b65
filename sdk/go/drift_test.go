// The drift guard: compares this module's request and answer types with the OpenAPI document the
// running server serves (GET /api/v1/openapi.json), field by field, both ways: names, JSON types,
// which fields are required or nullable, enum values with their Go constants, query parameters,
// and that every route is either in the SDK or named below as deliberately left out. Internal to
// the package so the unexported wrappers (tokenList, errorBody, …) are checked too.

package rexec

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// operation is one route as the SDK uses it: its request body type and its answers by status.
type operation struct {
	request   reflect.Type
	responses map[string]reflect.Type // nil type: an answer without a JSON object (204)
}

func typeOf(v interface{}) reflect.Type { return reflect.TypeOf(v) }

var containerAnswer = map[string]reflect.Type{"200": typeOf(Container{})}
var hostAnswer = map[string]reflect.Type{"200": typeOf(Host{})}

// sdkRoutes is every route a service calls, keyed "METHOD /api/v1/path".
var sdkRoutes = map[string]operation{
	"GET /api/v1/containers":                             {responses: map[string]reflect.Type{"200": typeOf(ContainerList{})}},
	"POST /api/v1/containers":                            {request: typeOf(CreateContainerRequest{}), responses: map[string]reflect.Type{"202": typeOf(Container{})}},
	"GET /api/v1/containers/{id}":                        {responses: containerAnswer},
	"DELETE /api/v1/containers/{id}":                     {responses: map[string]reflect.Type{"202": typeOf(containerDeleting{}), "204": nil}},
	"GET /api/v1/containers/{id}/logs":                   {responses: map[string]reflect.Type{"200": typeOf(ContainerLogs{})}},
	"GET /api/v1/containers/{id}/stats":                  {responses: map[string]reflect.Type{"200": typeOf(ContainerStats{})}},
	"POST /api/v1/containers/{id}/start":                 {responses: containerAnswer},
	"POST /api/v1/containers/{id}/stop":                  {responses: containerAnswer},
	"POST /api/v1/containers/{id}/exec":                  {request: typeOf(ExecRequest{}), responses: map[string]reflect.Type{"200": typeOf(ExecResult{}), "202": typeOf(ExecStarted{})}},
	"GET /api/v1/containers/{id}/exec/{exec_id}":         {responses: map[string]reflect.Type{"200": typeOf(ExecStatus{})}},
	"POST /api/v1/containers/{id}/exec/{exec_id}/signal": {request: typeOf(execSignalRequest{}), responses: map[string]reflect.Type{"202": typeOf(ExecStatus{})}},
	"GET /api/v1/containers/{id}/terminal":               {responses: map[string]reflect.Type{}},
	"GET /api/v1/me":                                     {responses: map[string]reflect.Type{"200": typeOf(Me{})}},
	"GET /api/v1/images":                                 {responses: map[string]reflect.Type{"200": typeOf(imageList{})}},
	"GET /api/v1/roles":                                  {responses: map[string]reflect.Type{"200": typeOf(roleList{})}},
	"GET /api/v1/tiers":                                  {responses: map[string]reflect.Type{"200": typeOf(tierList{})}},
	"PATCH /api/v1/tiers/{name}":                         {request: typeOf(TierPatch{}), responses: map[string]reflect.Type{"200": typeOf(Tier{})}},
	"POST /api/v1/tokens":                                {request: typeOf(CreateTokenRequest{}), responses: map[string]reflect.Type{"201": typeOf(TokenCreated{})}},
	"GET /api/v1/tokens":                                 {responses: map[string]reflect.Type{"200": typeOf(tokenList{})}},
	"DELETE /api/v1/tokens/{id}":                         {responses: map[string]reflect.Type{"204": nil}},
	"POST /api/v1/users":                                 {request: typeOf(CreateUserRequest{}), responses: map[string]reflect.Type{"201": typeOf(UserCreated{})}},
	"GET /api/v1/users":                                  {responses: map[string]reflect.Type{"200": typeOf(userList{})}},
	"PATCH /api/v1/users/{id}":                           {request: typeOf(UserPatch{}), responses: map[string]reflect.Type{"200": typeOf(User{})}},
	"DELETE /api/v1/users/{id}":                          {responses: map[string]reflect.Type{"204": nil}},
	"GET /api/v1/hosts":                                  {responses: map[string]reflect.Type{"200": typeOf(hostList{})}},
	"GET /api/v1/hosts/{id}":                             {responses: hostAnswer},
	"POST /api/v1/hosts/{id}/cordon":                     {responses: hostAnswer},
	"POST /api/v1/hosts/{id}/uncordon":                   {responses: hostAnswer},
	"POST /api/v1/hosts/{id}/drain":                      {responses: hostAnswer},
	"POST /api/v1/hosts/{id}/revoke":                     {responses: hostAnswer},
	"DELETE /api/v1/hosts/{id}":                          {responses: map[string]reflect.Type{"204": nil}},
	"POST /api/v1/hosts/{id}/trust":                      {request: typeOf(hostTrust{}), responses: hostAnswer},
	"POST /api/v1/hosts/join-tokens":                     {request: typeOf(CreateJoinTokenRequest{}), responses: map[string]reflect.Type{"201": typeOf(JoinTokenCreated{})}},
	"GET /api/v1/hosts/join-tokens":                      {responses: map[string]reflect.Type{"200": typeOf(joinTokenList{})}},
	"DELETE /api/v1/hosts/join-tokens/{id}":              {responses: map[string]reflect.Type{"204": nil}},
	"POST /api/v1/hosts/{id}/approve":                    {responses: hostAnswer},
	"POST /api/v1/webhooks":                              {request: typeOf(CreateWebhookRequest{}), responses: map[string]reflect.Type{"201": typeOf(WebhookCreated{})}},
	"GET /api/v1/webhooks":                               {responses: map[string]reflect.Type{"200": typeOf(webhookList{})}},
	"DELETE /api/v1/webhooks/{id}":                       {responses: map[string]reflect.Type{"204": nil}},
	"GET /api/v1/webhooks/{id}/deliveries":               {responses: map[string]reflect.Type{"200": typeOf(webhookDeliveryList{})}},
	"POST /api/v1/webhooks/{id}/test":                    {responses: map[string]reflect.Type{"202": typeOf(webhookTestQueued{})}},
	"GET /api/v1/events":                                 {responses: map[string]reflect.Type{"200": typeOf(EventList{})}},
	"GET /api/v1/events/stream":                          {responses: map[string]reflect.Type{}},
	"GET /api/v1/audit":                                  {responses: map[string]reflect.Type{"200": typeOf(AuditList{})}},
}

// leftOut are routes the SDK deliberately does not call, and why.
var leftOut = map[string]string{
	"GET /healthz":              "a probe for load balancers, unauthenticated",
	"GET /readyz":               "a probe for load balancers, unauthenticated",
	"POST /api/v1/agent/enroll": "agents exchange their join token here; not a user route",
	"GET /api/v1/containers/{id}/exec/{exec_id}/stream": "the exec stream WebSocket; this SDK has no stream client yet (ExecStatus and ExecSignal cover clients without one)",
	// The files API streams raw bodies; its Go methods (with io.Reader/io.ReadCloser) are still to
	// be written, so Go programs use net/http against these routes for now.
	"PUT /api/v1/containers/{id}/files":        "files API: raw streamed bodies, Go methods not written yet",
	"GET /api/v1/containers/{id}/files":        "files API: raw streamed bodies, Go methods not written yet",
	"DELETE /api/v1/containers/{id}/files":     "files API: Go methods not written yet",
	"GET /api/v1/containers/{id}/files/list":   "files API: Go methods not written yet",
	"GET /api/v1/containers/{id}/files/stat":   "files API: Go methods not written yet",
	"POST /api/v1/containers/{id}/files/mkdir": "files API: Go methods not written yet",
	"POST /api/v1/containers/{id}/files/move":  "files API: Go methods not written yet",
}

// enums maps an enum property (by the Go type holding it, "Type.json_name") or a named Go string
// type to the Go constants that must list exactly its values.
var enums = map[string][]string{
	"ContainerStatus":  {string(StatusCreating), string(StatusRunning), string(StatusStopped), string(StatusError), string(StatusDeleting)},
	"HostStatus":       {string(HostOnline), string(HostUnreachable)},
	"ExecState":        {string(ExecRunning), string(ExecExited)},
	"ExecSignal":       {string(SignalTerm), string(SignalKill), string(SignalInt), string(SignalHup)},
	"HostScheduling":   {string(SchedulingActive), string(SchedulingCordoned), string(SchedulingDraining), string(SchedulingUnhealthy), string(SchedulingPending)},
	"NetworkEgress":    {string(EgressInternet), string(EgressNone)},
	"image":            {ImageUbuntu2404, ImageDebianBookworm, ImageAlpine, ImageArchLinux, ImageCustom},
	"role":             {RoleNode, RolePython, RoleGo, RoleRust, RoleDevops, RoleBarebone},
	"Image.name":       {ImageUbuntu2404, ImageDebianBookworm, ImageAlpine, ImageArchLinux, ImageCustom},
	"Role.name":        {RoleNode, RolePython, RoleGo, RoleRust, RoleDevops, RoleBarebone},
	"TokenScope":       {string(ScopeRead), string(ScopeWrite), string(ScopeAdmin)},
	"JoinToken.status": {"active", "used", "expired"},
	"errorBody.code": {CodeInvalidRequest, CodeUnauthorized, CodeUserDisabled, CodeForbidden, CodeInsufficientScope, CodeContainerLimitReached,
		CodeResourceLimitExceeded, CodeImageNotAllowed, CodeNotFound, CodeNameTaken, CodeInvalidState, CodeRateLimited,
		CodeInternal, CodeNoCapacity, CodeHostUnavailable, CodeUnavailable, CodeTooManyExecs,
		CodeInvalidPath, CodeIsADirectory, CodePathNotFound, CodePathExists, CodePayloadTooLarge,
		CodeDiskQuotaExceeded, CodeRangeNotSatisfiable, CodeURLNotAllowed},
	"WebhookDelivery.status": {string(DeliveryPending), string(DeliveryDelivered), string(DeliveryFailed)},
	"EventType":              eventTypeNames(),
	"AuditOutcome":           {string(AuditSuccess), string(AuditFailure)},
}

func eventTypeNames() []string {
	names := make([]string, len(EventTypes))
	for i, eventType := range EventTypes {
		names[i] = string(eventType)
	}
	return names
}

type schema = map[string]interface{}

func fetchOpenAPI(t *testing.T) schema {
	t.Helper()
	base := os.Getenv("REXEC_URL")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	request, _ := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/api/v1/openapi.json", nil)
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatalf("fetching the OpenAPI document: %v", err)
	}
	defer response.Body.Close()
	var document schema
	if err := json.NewDecoder(response.Body).Decode(&document); err != nil || response.StatusCode != 200 {
		t.Fatalf("the OpenAPI document (HTTP %d) does not decode: %v", response.StatusCode, err)
	}
	return document
}

func TestOpenAPIRoutesAreAllInTheSDK(t *testing.T) {
	paths, _ := fetchOpenAPI(t)["paths"].(schema)
	served := map[string]bool{}
	for path, item := range paths {
		for method := range item.(schema) {
			served[strings.ToUpper(method)+" "+path] = true
		}
	}
	for route := range served {
		if _, ok := sdkRoutes[route]; !ok && leftOut[route] == "" {
			t.Errorf("the server has %s, which the Go SDK neither calls nor lists as left out", route)
		}
	}
	for route := range sdkRoutes {
		if !served[route] {
			t.Errorf("the Go SDK calls %s, which the server does not serve", route)
		}
	}
}

func TestOpenAPIBodiesMatchTheGoTypes(t *testing.T) {
	paths, _ := fetchOpenAPI(t)["paths"].(schema)
	routes := make([]string, 0, len(sdkRoutes))
	for route := range sdkRoutes {
		routes = append(routes, route)
	}
	sort.Strings(routes)
	for _, route := range routes {
		want := sdkRoutes[route]
		method, path, _ := strings.Cut(route, " ")
		op, _ := paths[path].(schema)[strings.ToLower(method)].(schema)
		if op == nil {
			continue // reported by TestOpenAPIRoutesAreAllInTheSDK
		}
		var c checker
		if want.request != nil {
			c.compare(route+" request", jsonBody(op["requestBody"]), want.request, true)
		} else if op["requestBody"] != nil {
			c.fail(route+" request", "the server takes a body the SDK never sends")
		}
		responses, _ := op["responses"].(schema)
		for status, response := range responses {
			if status == "4XX" || status == "5XX" {
				c.compare(route+" "+status, jsonBody(response), typeOf(errorBody{}), false)
				continue
			}
			goType, known := want.responses[status]
			if !known {
				c.fail(route+" "+status, "an answer status the SDK does not expect")
			} else if goType != nil {
				c.compare(route+" "+status, jsonBody(response), goType, false)
			}
		}
		for status := range want.responses {
			if responses[status] == nil {
				c.fail(route+" "+status, "the SDK expects an answer status the server does not document")
			}
		}
		for _, problem := range c.problems {
			t.Error(problem)
		}
	}
}

func TestOpenAPIQueryParametersMatchTheSDK(t *testing.T) {
	paths, _ := fetchOpenAPI(t)["paths"].(schema)
	a := &api{}
	a.root, _ = apiRoot("http://rexec.invalid")
	sent := map[string][]string{
		"/api/v1/containers":               keys(ListOptions{Status: StatusRunning, Limit: 1, Cursor: "c"}.query()),
		"/api/v1/containers/{id}/terminal": keys(a.terminalURL("box", "main", 80, 24).Query()),
		"/api/v1/events":                   keys(EventsQuery{Cursor: "1", Limit: 1, Type: []string{"container.*"}, ContainerID: "c", All: true}.query()),
		"/api/v1/audit":                    keys(AuditQuery{Cursor: "1", Limit: 1, UserID: "u", Action: "a", Since: time.Unix(1, 0), Until: time.Unix(2, 0)}.query()),
	}
	for path, names := range sent {
		var served []string
		for _, parameter := range paths[path].(schema)["get"].(schema)["parameters"].([]interface{}) {
			if parameter.(schema)["in"] == "query" {
				served = append(served, parameter.(schema)["name"].(string))
			}
		}
		sort.Strings(served)
		if strings.Join(served, ",") != strings.Join(names, ",") {
			t.Errorf("GET %s: the server takes the query parameters %v, the SDK sends %v", path, served, names)
		}
	}
}

func keys(values map[string][]string) []string {
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func jsonBody(part interface{}) schema {
	content, _ := part.(schema)["content"].(schema)
	media, _ := content["application/json"].(schema)
	body, _ := media["schema"].(schema)
	return body
}

// checker walks a JSON schema and a Go type together and collects every difference.
type checker struct{ problems []string }

func (c *checker) fail(where, format string, args ...interface{}) {
	c.problems = append(c.problems, where+": "+fmt.Sprintf(format, args...))
}

var timeType = reflect.TypeOf(time.Time{})
var sessionHoursType = reflect.TypeOf(SessionHours{})
var idleStopType = reflect.TypeOf(IdleStop{})

func (c *checker) compare(where string, s schema, goType reflect.Type, request bool) {
	if s == nil {
		c.fail(where, "the server documents no JSON schema")
		return
	}
	for goType.Kind() == reflect.Ptr {
		goType = goType.Elem()
	}
	kind, _ := s["type"].(string)
	switch {
	case goType == timeType:
		c.expect(where, kind, "string", goType)
	case goType == sessionHoursType, goType == idleStopType:
		c.expect(where, kind, "integer", goType)
	case goType.Kind() == reflect.Struct:
		c.expect(where, kind, "object", goType)
		c.compareObject(where, s, goType, request)
	case goType.Kind() == reflect.Slice:
		c.expect(where, kind, "array", goType)
		items, _ := s["items"].(schema)
		c.compare(where+"[]", items, goType.Elem(), request)
	case goType.Kind() == reflect.Map && goType.Key().Kind() == reflect.String:
		// A JSON object of arbitrary keys: zod's record, documented as additionalProperties.
		c.expect(where, kind, "object", goType)
		values, _ := s["additionalProperties"].(schema)
		c.compare(where+"{}", values, goType.Elem(), request)
	case goType.Kind() == reflect.String:
		c.expect(where, kind, "string", goType)
	case goType.Kind() == reflect.Int, goType.Kind() == reflect.Int64:
		// int64 for byte counts, which outgrow int on 32-bit platforms.
		c.expect(where, kind, "integer", goType)
	case goType.Kind() == reflect.Float64:
		c.expect(where, kind, "number", goType)
	case goType.Kind() == reflect.Bool:
		c.expect(where, kind, "boolean", goType)
	case goType.Kind() == reflect.Interface:
		// Any JSON value (an event's data): the server's schema must not narrow it either.
		if kind != "" {
			c.fail(where, "the server's type is %q, the Go type %s takes any JSON value", kind, goType)
		}
	default:
		c.fail(where, "the Go type %s has no JSON counterpart here", goType)
	}
}

func (c *checker) expect(where, got, want string, goType reflect.Type) {
	if got != want {
		c.fail(where, "the server's type is %q, the Go type %s is a %s", got, goType, want)
	}
}

type goField struct {
	field     reflect.StructField
	omitEmpty bool
}

func jsonFields(goType reflect.Type) map[string]goField {
	fields := map[string]goField{}
	for i := 0; i < goType.NumField(); i++ {
		field := goType.Field(i)
		tag := field.Tag.Get("json")
		name, options, _ := strings.Cut(tag, ",")
		if name == "-" || name == "" {
			continue
		}
		fields[name] = goField{field: field, omitEmpty: strings.Contains(options, "omitempty")}
	}
	return fields
}

func (c *checker) compareObject(where string, s schema, goType reflect.Type, request bool) {
	properties, _ := s["properties"].(schema)
	required := map[string]bool{}
	for _, name := range asList(s["required"]) {
		required[name] = true
	}
	fields := jsonFields(goType)
	for name := range properties {
		if _, ok := fields[name]; !ok {
			c.fail(where, "the server has the field %q, which the Go type %s lacks", name, goType.Name())
		}
	}
	for name, f := range fields {
		property, ok := properties[name].(schema)
		if !ok {
			c.fail(where, "the Go type %s has the field %q, which the server does not know", goType.Name(), name)
			continue
		}
		here := where + "." + name
		nullable, _ := property["nullable"].(bool)
		pointer := f.field.Type.Kind() == reflect.Ptr
		switch {
		case request && required[name] && f.omitEmpty:
			c.fail(here, "the server requires it, but the Go field %s.%s may be left out (omitempty)", goType.Name(), f.field.Name)
		case request && !required[name] && !f.omitEmpty:
			c.fail(here, "it is optional, but the Go field %s.%s is always sent (add omitempty)", goType.Name(), f.field.Name)
		case !request && required[name] && f.omitEmpty:
			c.fail(here, "the server always sends it, but the Go field %s.%s is omitempty", goType.Name(), f.field.Name)
		case !request && !required[name] && !f.omitEmpty:
			c.fail(here, "the server may leave it out, but the Go field %s.%s is not omitempty", goType.Name(), f.field.Name)
		case !request && nullable && !pointer:
			c.fail(here, "the server may send null, but the Go field %s.%s is not a pointer", goType.Name(), f.field.Name)
		}
		c.compare(here, property, f.field.Type, request)
		c.compareEnum(here, property, goType.Name()+"."+name, name, f.field.Type)
	}
}

func (c *checker) compareEnum(where string, property schema, qualified, name string, goType reflect.Type) {
	values := asList(property["enum"])
	if len(values) == 0 {
		return
	}
	constants, ok := enums[qualified]
	if !ok {
		constants, ok = enums[goType.Name()]
	}
	if !ok {
		constants, ok = enums[name]
	}
	if !ok {
		// An enum kept as a plain string (package_manager, enforcement.disk): documented, not typed.
		return
	}
	sort.Strings(values)
	sorted := append([]string(nil), constants...)
	sort.Strings(sorted)
	if strings.Join(values, ",") != strings.Join(sorted, ",") {
		c.fail(where, "the server's values are %v, the Go constants %v", values, sorted)
	}
}

func asList(value interface{}) []string {
	items, _ := value.([]interface{})
	list := make([]string, 0, len(items))
	for _, item := range items {
		if text, ok := item.(string); ok {
			list = append(list, text)
		}
	}
	return list
}

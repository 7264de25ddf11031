package httpapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/history"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/portal"
	"github.com/portico/portico/internal/portalauth"
	"github.com/portico/portico/internal/visitors"
)

// openAPIExempt are routes that are served but are not API operations, with the reason.
var openAPIExempt = map[string]string{
	// The CORS preflight is answered by the browser's CORS machinery for every widget route; it is
	// not an operation a client calls, so the document mentions it only in prose.
	"OPTIONS /api/v1/widget/": "CORS preflight for the widget routes",
}

// openAPIMethods are the path-item keys that name operations.
var openAPIMethods = map[string]bool{
	"get": true, "put": true, "post": true, "delete": true,
	"options": true, "head": true, "patch": true, "trace": true,
}

type openAPIOperation struct {
	key string // "METHOD /path"
	op  map[string]any
	// pathParams are the parameters declared on the path item, shared by its operations.
	pathParams []any
}

func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatalf("the merged OpenAPI document is not valid JSON: %v", err)
	}
	return doc
}

func openAPIOperations(t *testing.T, doc map[string]any) []openAPIOperation {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("the OpenAPI document has no paths object")
	}
	var ops []openAPIOperation
	for path, v := range paths {
		item, ok := v.(map[string]any)
		if !ok {
			t.Errorf("path %s: not an object", path)
			continue
		}
		shared, _ := item["parameters"].([]any)
		for method, v := range item {
			if !openAPIMethods[method] {
				continue
			}
			op, ok := v.(map[string]any)
			if !ok {
				t.Errorf("%s %s: operation is not an object", strings.ToUpper(method), path)
				continue
			}
			ops = append(ops, openAPIOperation{key: strings.ToUpper(method) + " " + path, op: op, pathParams: shared})
		}
	}
	slices.SortFunc(ops, func(a, b openAPIOperation) int { return strings.Compare(a.key, b.key) })
	return ops
}

var (
	oaRestWildcard = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\.\.\.\}`)
	oaPathTemplate = regexp.MustCompile(`\{([^{}]+)\}`)
)

// oaRouteKey turns a route into the "METHOD /path" an OpenAPI operation is listed under. Go mux
// wildcards {id} are spelled as OpenAPI templates already; {rest...} and {$} are normalised.
func oaRouteKey(rt route) string {
	p := oaRestWildcard.ReplaceAllString(rt.path, "{$1}")
	p = strings.ReplaceAll(p, "{$}", "")
	return strings.ToUpper(rt.method) + " " + p
}

func TestOpenAPIDocumentIsOpenAPI31(t *testing.T) {
	doc := loadOpenAPI(t)
	version, _ := doc["openapi"].(string)
	if !strings.HasPrefix(version, "3.1") {
		t.Errorf(`"openapi" is %q, want 3.1.x`, version)
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] != "Portico" || info["version"] == nil {
		t.Errorf("info must name the title Portico and a version, got %v", info)
	}
	components, _ := doc["components"].(map[string]any)
	schemes, _ := components["securitySchemes"].(map[string]any)
	for _, name := range []string{"operatorBearer", "sessionCookie", "visitorBearer"} {
		if _, ok := schemes[name]; !ok {
			t.Errorf("components.securitySchemes lacks %s", name)
		}
	}
}

// TestOpenAPIMatchesRoutes holds the document to routes(): every route served has an operation
// and every operation is served by a route.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)

	// routes() only takes method values of a; no handler is called.
	served := map[string]bool{}
	for _, rt := range (&api{}).routes() {
		k := oaRouteKey(rt)
		if served[k] {
			t.Errorf("routes() lists %s twice", k)
		}
		served[k] = true
	}
	for k := range openAPIExempt {
		if !served[k] {
			t.Errorf("openAPIExempt names %s, which routes() does not serve; drop it from the list", k)
		}
	}

	documented := map[string]bool{}
	for _, o := range openAPIOperations(t, doc) {
		documented[o.key] = true
	}

	var undocumented, unserved []string
	for k := range served {
		if _, exempt := openAPIExempt[k]; !exempt && !documented[k] {
			undocumented = append(undocumented, k)
		}
	}
	for k := range documented {
		if _, exempt := openAPIExempt[k]; exempt {
			unserved = append(unserved, k+" (exempt: "+openAPIExempt[k]+"; do not document it)")
		} else if !served[k] {
			unserved = append(unserved, k)
		}
	}
	slices.Sort(undocumented)
	slices.Sort(unserved)
	if len(undocumented) > 0 {
		t.Errorf("routes served but missing from internal/httpapi/openapi/*.json:\n\t%s", strings.Join(undocumented, "\n\t"))
	}
	if len(unserved) > 0 {
		t.Errorf("operations in internal/httpapi/openapi/*.json that no route in routes() serves:\n\t%s", strings.Join(unserved, "\n\t"))
	}
}

func TestOpenAPIOperationsAreComplete(t *testing.T) {
	doc := loadOpenAPI(t)
	components, _ := doc["components"].(map[string]any)
	schemes, _ := components["securitySchemes"].(map[string]any)

	ids := map[string]string{}
	for _, o := range openAPIOperations(t, doc) {
		id, _ := o.op["operationId"].(string)
		switch {
		case id == "":
			t.Errorf("%s: no operationId", o.key)
		case ids[id] != "":
			t.Errorf("%s: operationId %q is already used by %s", o.key, id, ids[id])
		default:
			ids[id] = o.key
		}
		if s, _ := o.op["summary"].(string); s == "" {
			t.Errorf("%s: no summary", o.key)
		}

		security, ok := o.op["security"].([]any)
		if !ok {
			t.Errorf("%s: no security list (use [] for a public operation)", o.key)
		}
		for _, req := range security {
			req, _ := req.(map[string]any)
			for name := range req {
				if _, ok := schemes[name]; !ok {
					t.Errorf("%s: security names %q, which is not in components.securitySchemes", o.key, name)
				}
			}
		}

		responses, _ := o.op["responses"].(map[string]any)
		success := false
		for status := range responses {
			if n, err := strconv.Atoi(status); err == nil && (n == http.StatusSwitchingProtocols || n >= 200 && n < 300) {
				success = true
			}
		}
		if !success {
			t.Errorf("%s: no 2xx or 101 response", o.key)
		}

		// Every {name} in the path is declared as a required path parameter.
		declared := map[string]bool{}
		for _, p := range append(slices.Clone(o.pathParams), oaSlice(o.op["parameters"])...) {
			p := oaResolve(doc, p)
			if p["in"] == "path" && p["required"] == true {
				name, _ := p["name"].(string)
				declared[name] = true
			}
		}
		path := o.key[strings.IndexByte(o.key, ' ')+1:]
		for _, m := range oaPathTemplate.FindAllStringSubmatch(path, -1) {
			if !declared[m[1]] {
				t.Errorf("%s: path parameter %q is not declared (in: path, required: true)", o.key, m[1])
			}
		}
	}
}

func oaSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// oaResolve follows a local $ref (once per level) and returns the object it names; an object
// without $ref is returned as is, anything else as nil.
func oaResolve(doc map[string]any, v any) map[string]any {
	for range 10 {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		ref, ok := obj["$ref"].(string)
		if !ok {
			return obj
		}
		target, err := oaPointer(doc, ref)
		if err != "" {
			return nil
		}
		v = target
	}
	return nil
}

// oaPointer resolves a local reference such as "#/components/schemas/Error".
func oaPointer(doc map[string]any, ref string) (any, string) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, "is not a local reference"
	}
	var cur any = doc
	for _, part := range strings.Split(ref[2:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, "runs through a non-object before " + strconv.Quote(part)
		}
		if cur, ok = obj[part]; !ok {
			return nil, "names nothing: " + strconv.Quote(part) + " is missing"
		}
	}
	return cur, ""
}

func TestOpenAPIRefsResolve(t *testing.T) {
	doc := loadOpenAPI(t)
	refs := 0
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				refs++
				if !strings.HasPrefix(ref, "#/components/") {
					t.Errorf("%s: $ref %q does not point into #/components/", where, ref)
				} else if _, err := oaPointer(doc, ref); err != "" {
					t.Errorf("%s: $ref %q %s", where, ref, err)
				}
			}
			for k, child := range v {
				walk(where+"/"+k, child)
			}
		case []any:
			for i, child := range v {
				walk(where+"/"+strconv.Itoa(i), child)
			}
		}
	}
	walk("#", doc)
	if refs == 0 {
		t.Error("the document has no $ref at all; is it the real document?")
	}
}

// TestOpenAPISchemasMatchGoTypes holds the component schemas to the JSON tags of the Go types
// they describe: the same property names, JSON types that fit the Go types, and for what the
// server writes, every field that is always present listed as required. A Go pointer (or an
// interface) without omitempty may be null, so its schema must allow null.
func TestOpenAPISchemasMatchGoTypes(t *testing.T) {
	doc := loadOpenAPI(t)
	cases := []struct {
		schema string
		goType any
		output bool // written by the server: required must list every field without omitempty
	}{
		{"Error", errorBody{}, true},
		{"Error/properties/error", errorDetail{}, true},
		{"Person", domain.Person{}, true},
		{"Operator", domain.Operator{}, true},
		{"Listing", domain.Listing{}, true},
		{"VisitorSummary", domain.VisitorSummary{}, true},
		{"MessagePreview", domain.MessagePreview{}, true},
		{"Conversation", domain.Conversation{}, true},
		{"Author", domain.Author{}, true},
		{"Message", domain.Message{}, true},
		{"PageView", domain.PageView{}, true},
		{"Visitor", domain.Visitor{}, true},
		{"LoginResponse", loginResponse{}, true},
		{"LoginRequest", loginRequest{}, false},
		{"UpdateMeRequest", updateMeRequest{}, false},
		{"CloseConversationRequest", closeRequest{}, false},
		{"SendMessageRequest", sendRequest{}, false},
		{"VisitRequest", visitRequest{}, false},
		{"PageInput", pageJSON{}, false},
		{"ListingInput", listingJSON{}, false},
		{"StartConversationRequest", startRequest{}, false},
		{"OfflineMessageRequest", offlineRequest{}, false},
		{"System", systemResponse{}, true},
		{"Category", domain.Category{}, true},
		{"CategoryRequest", categoryRequest{}, false},
		{"CategoryPatch", categoryPatch{}, false},
		{"OfflineMessage", domain.OfflineMessage{}, true},
		{"OfflineRecipients", mail.Recipients{}, true},
		{"OfflineRecipient", mail.RecipientChoice{}, true},
		{"OfflineRecipientsRequest", recipientsRequest{}, false},
		{"TranscriptRequest", transcriptRequest{}, false},
		{"Transfer", domain.Transfer{}, true},
		{"TransferRequest", transferRequest{}, false},
		{"TransferResponse", transferResponse{}, true},
		{"InviteRequest", inviteRequest{}, false},
		{"Room", domain.Room{}, true},
		{"RoomMember", domain.RoomMember{}, true},
		{"RoomMessage", domain.RoomMessage{}, true},
		{"CreateRoomRequest", createRoomRequest{}, false},
		{"AddRoomMemberRequest", addRoomMemberRequest{}, false},
		{"UpdateRoomMemberRequest", updateRoomMemberRequest{}, false},
		{"RoomReadRequest", roomReadRequest{}, false},
		{"HistoryResult", domain.HistoryResult{}, true},
		{"HistoryPage", history.Page{}, true},
		{"TranscriptExport", transcriptExport{}, true},
		{"Colleague", domain.Colleague{}, true},
		{"OperatorWithPassword", operatorWithPassword{}, true},
		{"CreateOperatorRequest", createOperatorRequest{}, false},
		{"UpdateOperatorRequest", updateOperatorRequest{}, false},
		{"UsageMonth", domain.UsageMonth{}, true},
		{"CannedResponse", domain.CannedResponse{}, true},
		{"CannedResponseRequest", cannedRequest{}, false},
		{"RoutingRule", domain.RoutingRule{}, true},
		{"RoutingRuleRequest", routingRuleRequest{}, false},
		{"PortalLoginResponse", portalLoginResponse{}, true},
		{"PortalLoginError", portalErrorBody{}, true},
		{"PortalLoginError/properties/error", portalErrorDetail{}, true},
		{"RemediationOption", portalauth.RemediationOption{}, true},
		{"TokenLoginRequest", tokenLoginRequest{}, false},
		{"PortalLoginInfo", portalLoginInfo{}, true},
		{"ExternalAuthRequest", externalAuthRequest{}, false},
		{"ExternalAuth", domain.PortalAuth{}, true},
		{"ExternalAuthResponse", externalAuthResponse{}, true},
		{"ExternalAuthHealth", externalAuthHealth{}, true},
		{"PortalAuthProblem", domain.PortalAuthProblem{}, true},
		{"WidgetSettingsView", portal.SettingsView{}, true},
		{"WidgetSettingsPatch", settingsPatchRequest{}, false},
		{"PortalListing", domain.PortalListing{}, true},
		{"ListingOperatorsRequest", listingOperatorsRequest{}, false},
		{"PortalBackup", domain.PortalBackup{}, true},
		{"PortalBackupRequest", portalBackupRequest{}, false},
		{"AdvertiserOverview", portal.AdvertiserOverview{}, true},
		{"AdvertiserMember", portal.AdvertiserMember{}, true},
		{"LiveVisitor", domain.LiveVisitor{}, true},
		{"LiveVisitorDetail", visitorJSON{}, true},
		{"RuleStats", domain.RuleStats{}, true},
		{"CurrentPage", domain.CurrentPage{}, true},
		{"VisitInfo", domain.VisitInfo{}, true},
		{"VisitSource", domain.VisitSource{}, true},
		{"Device", domain.Device{}, true},
		{"Location", domain.Location{}, true},
		{"VisitorChat", domain.VisitorChat{}, true},
		{"Invitation", domain.Invitation{}, true},
		{"InvitationCounts", domain.InvitationCounts{}, true},
		{"InvitationStats", domain.InvitationStats{}, true},
		{"ProactiveRule", domain.ProactiveRule{}, true},
		{"Proactive", visitors.Proactive{}, true},
		{"ProactiveRuleRequest", proactiveRuleRequest{}, false},
		{"InviteVisitorRequest", inviteVisitorRequest{}, false},
		{"IdentifyRequest", identifyRequest{}, false},
		{"ShowProactiveRequest", showProactiveRequest{}, false},
		{"AcceptInvitationRequest", acceptRequest{}, false},
	}
	for _, c := range cases {
		ref := "#/components/schemas/" + c.schema
		v, errText := oaPointer(doc, ref)
		schema := oaResolve(doc, v)
		if errText != "" || schema == nil {
			t.Errorf("%s: no such schema", ref)
			continue
		}
		props, _ := schema["properties"].(map[string]any)
		required := map[string]bool{}
		for _, r := range oaSlice(schema["required"]) {
			name, _ := r.(string)
			required[name] = true
		}

		typ := reflect.TypeOf(c.goType)
		fields := map[string]bool{}
		for _, f := range reflect.VisibleFields(typ) {
			if f.Anonymous && f.Tag.Get("json") == "" && f.Type.Kind() == reflect.Struct {
				continue // its fields are promoted: encoding/json writes them inline
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fields[name] = true
			omitempty := slices.Contains(strings.Split(opts, ","), "omitempty")
			where := ref + " ." + name + " (" + typ.Name() + "." + f.Name + ")"

			prop, ok := props[name]
			if !ok {
				t.Errorf("%s: the Go field has no property in the schema", where)
				continue
			}
			if c.output && !omitempty && !required[name] {
				t.Errorf("%s: always written, so it must be in required", where)
			}
			if c.output && omitempty && required[name] {
				t.Errorf("%s: omitempty, so it must not be in required", where)
			}
			got := oaSchemaTypes(doc, prop, 0)
			for _, want := range oaJSONTypes(f.Type, omitempty || oaNeverNil[c.schema+"."+name]) {
				if !got[want] {
					t.Errorf("%s: the schema allows %v, but the Go type %s can be %s", where, slices.Sorted(maps.Keys(got)), f.Type, want)
				}
			}
			if f.Type == reflect.TypeFor[time.Time]() || f.Type == reflect.TypeFor[*time.Time]() {
				if p := oaResolve(doc, prop); p == nil || p["format"] != "date-time" {
					t.Errorf("%s: a time must have format date-time", where)
				}
			}
		}
		for name := range props {
			if !fields[name] {
				t.Errorf("%s .%s: the schema lists a property that %s does not have", ref, name, typ)
			}
		}
		for name := range required {
			if !fields[name] {
				t.Errorf("%s: required names %q, which %s does not have", ref, name, typ)
			}
		}
	}
}

// oaNeverNil are pointer fields the handlers always set, documented as not null.
var oaNeverNil = map[string]bool{
	"LoginResponse.operator":             true, // login answers only after a successful sign-in
	"OperatorWithPassword.operator":      true, // answered only with the operator created or changed
	"PortalLoginResponse.operator":       true, // answered only after a successful sign-in
	"ExternalAuthResponse.external_auth": true, // always the settings, blank when never set
}

// oaJSONTypes is what encoding/json can write for a Go type (and read into it).
func oaJSONTypes(t reflect.Type, omitempty bool) []string {
	if t == reflect.TypeFor[time.Time]() {
		return []string{"string"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		if omitempty {
			return oaJSONTypes(t.Elem(), false)
		}
		return append(oaJSONTypes(t.Elem(), false), "null")
	case reflect.String:
		return []string{"string"}
	case reflect.Bool:
		return []string{"boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return []string{"integer"}
	case reflect.Float32, reflect.Float64:
		return []string{"number"}
	case reflect.Slice, reflect.Array:
		return []string{"array"}
	case reflect.Struct, reflect.Map:
		return []string{"object"}
	}
	return nil // an interface can be anything; nothing to check
}

// oaSchemaTypes collects the JSON types a schema allows, following $ref, oneOf, anyOf and allOf.
func oaSchemaTypes(doc map[string]any, v any, depth int) map[string]bool {
	out := map[string]bool{}
	s := oaResolve(doc, v)
	if s == nil || depth > 10 {
		return out
	}
	switch typ := s["type"].(type) {
	case string:
		out[typ] = true
	case []any:
		for _, t := range typ {
			if t, ok := t.(string); ok {
				out[t] = true
			}
		}
	}
	if out["number"] {
		out["integer"] = true
	}
	for _, key := range []string{"oneOf", "anyOf", "allOf"} {
		for _, sub := range oaSlice(s[key]) {
			maps.Copy(out, oaSchemaTypes(doc, sub, depth+1))
		}
	}
	return out
}

// TestOpenAPIServed fetches the document through the real handler stack.
func TestOpenAPIServed(t *testing.T) {
	h := New(Deps{Log: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(h)
	defer srv.Close()

	res, err := http.Get(srv.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json: status %d, want 200; body %.200s", res.StatusCode, body)
	}
	if mt, _, err := mime.ParseMediaType(res.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		t.Errorf("Content-Type is %q, want application/json", res.Header.Get("Content-Type"))
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("the served document is not JSON: %v", err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1") {
		t.Errorf("the served document has openapi %q", v)
	}
}

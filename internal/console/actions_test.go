package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestActionsCallTheOperator(t *testing.T) {
	tests := []struct {
		name, path, body string
		call             string
	}{
		{"kill", "/api/instances/orders-2/kill", "", "kill orders-2"},
		{"restart", "/api/services/orders/restart", "", "restart orders"},
		{"scale up", "/api/services/orders/scale", `{"replicas": 3}`, "scale orders 3"},
		{"scale to zero", "/api/services/storefront/scale", `{"replicas": 0}`, "scale storefront 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			status, body := f.send(t, http.MethodPost, tc.path, tc.body, nil)
			if status != http.StatusAccepted {
				t.Fatalf("POST %s: %d %s", tc.path, status, body)
			}
			var resp struct{ Action Action }
			if err := json.Unmarshal([]byte(body), &resp); err != nil || resp.Action.ID == 0 {
				t.Fatalf("POST %s answered %s (%v)", tc.path, body, err)
			}
			if got := f.op.nextCall(t); got != tc.call {
				t.Errorf("operator call %q, want %q", got, tc.call)
			}
			actions := f.waitActions(t)
			if len(actions) != 1 || actions[0].State != "done" || actions[0].ID != resp.Action.ID {
				t.Errorf("actions = %+v, want the one action done", actions)
			}
		})
	}
}

func TestFailedActionIsReported(t *testing.T) {
	f := newFixture(t)
	f.op.err = errors.New("instance did not become ready")
	if status, body := f.send(t, http.MethodPost, "/api/services/orders/restart", "", nil); status != http.StatusAccepted {
		t.Fatalf("restart: %d %s", status, body)
	}
	f.op.nextCall(t)
	actions := f.waitActions(t)
	if len(actions) != 1 || actions[0].State != "failed" || actions[0].Error != "instance did not become ready" {
		t.Errorf("actions = %+v, want the restart failed with the reason", actions)
	}
	if _, page := f.get(t, "/"); !strings.Contains(page, "instance did not become ready") {
		t.Error("the overview does not show the failed action")
	}
}

func TestActionsRejectBadRequests(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, path, body string
		status           int
	}{
		{"unknown instance", "/api/instances/catalog-9/kill", "", http.StatusNotFound},
		{"invalid instance id", "/api/instances/Orders%201/kill", "", http.StatusBadRequest},
		{"unknown service", "/api/services/warehouse/restart", "", http.StatusNotFound},
		{"no replicas", "/api/services/orders/scale", `{}`, http.StatusBadRequest},
		{"negative replicas", "/api/services/orders/scale", `{"replicas": -1}`, http.StatusBadRequest},
		{"too many replicas", "/api/services/orders/scale", `{"replicas": 11}`, http.StatusBadRequest},
		{"not JSON", "/api/services/orders/scale", `replicas=2`, http.StatusBadRequest},
		{"unknown field", "/api/services/orders/scale", `{"replicas": 2, "force": true}`, http.StatusBadRequest},
		{"body too large", "/api/services/orders/scale", `{"replicas": 2, "x": "` + strings.Repeat("x", maxBodyBytes) + `"}`, http.StatusBadRequest},
		{"wrong method", "/api/services/orders/scale", "", http.StatusMethodNotAllowed},
	}
	for _, tc := range tests {
		method := http.MethodPost
		if tc.name == "wrong method" {
			method = http.MethodPut
		}
		status, body := f.send(t, method, tc.path, tc.body, nil)
		if status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, status, body, tc.status)
		}
	}
	f.op.noCall(t)
}

func TestChangesNeedTheConsolesOwnPage(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		edit   func(*http.Request)
		status int
	}{
		{"no token", func(r *http.Request) { r.Header.Del(tokenHeader) }, http.StatusForbidden},
		{"wrong token", func(r *http.Request) { r.Header.Set(tokenHeader, "guess") }, http.StatusForbidden},
		{"cross-site fetch", func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }, http.StatusForbidden},
		{"other origin", func(r *http.Request) {
			r.Header.Del("Sec-Fetch-Site")
			r.Header.Set("Origin", "http://evil.example")
		}, http.StatusForbidden},
		{"rebound host name", func(r *http.Request) { r.Host = "evil.example:8090" }, http.StatusMisdirectedRequest},
	}
	for _, tc := range tests {
		status, body := f.send(t, http.MethodPost, "/api/instances/orders-1/kill", "", tc.edit)
		if status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, status, body, tc.status)
		}
	}
	f.op.noCall(t)

	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/", nil)
	req.Host = "evil.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("page through a foreign host name: %d, want 421 (no token may leak)", resp.StatusCode)
	}
	for _, host := range []string{"localhost:8090", "[::1]:8090", "127.0.0.1"} {
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/api/actions", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("host %s: %d, want 200", host, resp.StatusCode)
		}
	}
	_, page := f.get(t, "/")
	if !strings.Contains(page, f.console.token) {
		t.Fatal("page has no token")
	}
	if status, body := f.send(t, http.MethodPost, "/api/instances/orders-1/kill", "", nil); status != http.StatusAccepted {
		t.Errorf("same origin with the token: %d %s", status, body)
	}
	if got := f.op.nextCall(t); got != "kill orders-1" {
		t.Errorf("call %q", got)
	}
}

func TestFaults(t *testing.T) {
	f := newFixture(t)
	status, body := f.send(t, http.MethodPost, "/api/faults", `{"from":"storefront","to":"orders","latency_ms":250,"error_rate":0.1}`, nil)
	if status != http.StatusOK {
		t.Fatalf("set fault: %d %s", status, body)
	}
	if got := f.op.nextCall(t); got != "fault storefront>orders 250ms 0.1 false" {
		t.Errorf("operator call %q", got)
	}
	var list struct{ Faults []faultJSON }
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Faults) != 1 || list.Faults[0] != (faultJSON{From: "storefront", To: "orders", LatencyMS: 250, ErrorRate: 0.1}) {
		t.Errorf("faults after set = %+v", list.Faults)
	}
	if _, page := f.get(t, "/faults"); !strings.Contains(page, `class="fault" data-from="storefront" data-to="orders"`) {
		t.Error("faults page does not list the fault")
	}
	var ov overview
	f.getJSON(t, "/api/overview", &ov)
	if ov.Faults != 1 {
		t.Errorf("overview faults = %d, want 1", ov.Faults)
	}

	for _, bad := range []string{
		`{"from":"storefront","to":"orders"}`,
		`{"from":"storefront","to":"orders","error_rate":1.5}`,
		`{"from":"storefront","to":"orders","latency_ms":-5}`,
		`{"from":"","to":"orders","blackhole":true}`,
		`{"from":"Store Front","to":"orders","blackhole":true}`,
	} {
		if status, body := f.send(t, http.MethodPost, "/api/faults", bad, nil); status != http.StatusBadRequest {
			t.Errorf("fault %s: %d %s, want 400", bad, status, body)
		}
	}
	f.op.noCall(t)

	if status, body := f.send(t, http.MethodDelete, "/api/faults", "", nil); status != http.StatusOK || !strings.Contains(body, `"faults":[]`) {
		t.Errorf("clear faults: %d %s", status, body)
	}
	if got := f.op.nextCall(t); got != "clear faults" {
		t.Errorf("operator call %q", got)
	}
	if status, _ := f.send(t, http.MethodDelete, "/api/faults", "", func(r *http.Request) { r.Header.Del(tokenHeader) }); status != http.StatusForbidden {
		t.Errorf("clear faults without the token: %d, want 403", status)
	}
	f.op.err = errors.New("proxy unreachable")
	if status, body := f.send(t, http.MethodPost, "/api/faults", `{"from":"orders","to":"payment","blackhole":true}`, nil); status != http.StatusBadGateway || !strings.Contains(body, "proxy unreachable") {
		t.Errorf("failing SetFault: %d %s, want 502 with the reason", status, body)
	}
}
